/**
 * Latency histogram buckets, so percentiles come from roll-ups instead of scanning raw events.
 * Four buckets per doubling: a percentile read from them is within about 19% of the true value.
 */
const PER_DOUBLING = 4

export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0
  return Math.floor(Math.log2(ms) * PER_DOUBLING) + 1
}

/** The upper edge of a bucket in ms (what a percentile reports: "at most this long"). */
export function bucketUpperMs(bucket: number): number {
  return bucket === 0 ? 1 : 2 ** (bucket / PER_DOUBLING)
}

/** The p-th percentile (0..1) from bucket counts; null when there are none. */
export function percentileFromBuckets(counts: ReadonlyArray<{ bucket: number; requests: number }>, p: number): number | null {
  const sorted = [...counts].sort((a, b) => a.bucket - b.bucket)
  const total = sorted.reduce((n, c) => n + c.requests, 0)
  if (total === 0) return null
  const rank = Math.ceil(p * total)
  let seen = 0
  for (const c of sorted) {
    seen += c.requests
    if (seen >= rank) return Math.round(bucketUpperMs(c.bucket) * 100) / 100
  }
  return Math.round(bucketUpperMs(sorted[sorted.length - 1].bucket) * 100) / 100
}
