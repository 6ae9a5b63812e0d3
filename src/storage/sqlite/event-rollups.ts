import type { Database } from 'bun:sqlite'
import { DAY_MS, type LectrEvent } from '../../domain'
import { rollupKey, type RollupDelta, addToRollup, newRollup, mergeRollup, hourOf, inRollup } from '../../events/rollup'
import { latencyBucket } from '../../events/latency-buckets'
import { addToReplay, newReplay, REPLAY_UPSERT_SQL, replayKey, replayUpsertArgs, type ReplayDelta } from '../../events/replay-rollup'

// The roll-up upserts of a batch of inserted events, in the writer's transaction. (src/rollups/ takes these over:
// this file then goes, and src/storage/sqlite/events.ts imports `writeRollups` from there.)

const ROLLUP_UPSERT = `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens,
    cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum,
    cache_write_tokens, cache_write_1h_tokens)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT (org_id, hour, provider, model, feature, task) DO UPDATE SET
    requests = requests + excluded.requests, errors = errors + excluded.errors,
    input_tokens = input_tokens + excluded.input_tokens,
    cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
    cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
    cost_usd = cost_usd + excluded.cost_usd, unpriced_requests = unpriced_requests + excluded.unpriced_requests,
    latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`

const LATENCY_UPSERT = `INSERT INTO latency_hourly (org_id, hour, provider, bucket, requests) VALUES (?, ?, ?, ?, ?)
   ON CONFLICT (org_id, hour, provider, bucket) DO UPDATE SET requests = requests + excluded.requests`

/** The upsert for a per-model roll-up table; the hourly and daily ones differ only in their time column. */
function modelRollupUpsert(table: 'model_rollups_hourly' | 'model_rollups_daily', time: 'hour' | 'day'): string {
  return `INSERT INTO ${table} (org_id, ${time}, provider, model, requests, errors, input_tokens, output_tokens,
      cost_usd, unpriced_requests, latency_ms_sum, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (org_id, ${time}, provider, model) DO UPDATE SET
      requests = requests + excluded.requests, errors = errors + excluded.errors,
      input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
      cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
      cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
      cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
      cost_usd = cost_usd + excluded.cost_usd, unpriced_requests = unpriced_requests + excluded.unpriced_requests,
      latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`
}
const MODEL_HOURLY_UPSERT = modelRollupUpsert('model_rollups_hourly', 'hour')
const MODEL_DAILY_UPSERT = modelRollupUpsert('model_rollups_daily', 'day')

/**
 * Adds `inserted` (events just inserted, each once) to the hourly, per-model (hourly and daily), latency and replay
 * roll-ups. Call it inside the transaction that inserted them, so the roll-ups always equal the sums of the events.
 */
export function writeRollups(db: Database, inserted: readonly LectrEvent[]): void {
  if (inserted.length === 0) return
  const rollups = new Map<string, RollupDelta>()
  /** latency histogram counts (index: bucket) per roll-up row, summed per provider below */
  const latencyOf = new Map<RollupDelta, number[]>()
  // Consecutive events mostly share a roll-up row: the last one is checked before building a key.
  let roll: RollupDelta | null = null
  let counts: number[] = []
  const replays = new Map<string, ReplayDelta>()
  // Events recorded in the same millisecond share one time string (see isoNow): parse each only once.
  let timeText = ''
  let time = 0
  for (const e of inserted) {
    if (e.time !== timeText) {
      timeText = e.time
      time = Date.parse(timeText)
    }
    const hour = hourOf(time)
    if (!roll || !inRollup(roll, e, hour)) {
      const key = rollupKey(e, hour)
      roll = rollups.get(key) ?? null
      if (!roll) {
        rollups.set(key, (roll = newRollup(e, hour)))
        latencyOf.set(roll, [])
      }
      counts = latencyOf.get(roll)!
    }
    addToRollup(roll, e)
    const day = hour - (hour % DAY_MS)
    const rkey = replayKey(e, day)
    let replay = replays.get(rkey)
    if (!replay) replays.set(rkey, (replay = newReplay(e, day)))
    addToReplay(replay, e)
    const bucket = latencyBucket(e.latencyMs)
    counts[bucket] = (counts[bucket] ?? 0) + 1
  }
  const latency = new Map<string, { org: string; hour: number; provider: string; bucket: number; requests: number }>()
  for (const [r, byBucket] of latencyOf) {
    byBucket.forEach((requests, bucket) => {
      const lkey = `${r.org}\u0000${r.hour}\u0000${r.provider}\u0000${bucket}`
      const l = latency.get(lkey)
      if (l) l.requests += requests
      else latency.set(lkey, { org: r.org, hour: r.hour, provider: r.provider, bucket, requests })
    })
  }
  // db.query caches each statement on the connection: prepared once, not per batch.
  const upsertRollup = db.query(ROLLUP_UPSERT)
  const upsertModelRollup = db.query(MODEL_HOURLY_UPSERT)
  const upsertModelDaily = db.query(MODEL_DAILY_UPSERT)
  const upsertLatency = db.query(LATENCY_UPSERT)
  const upsertReplay = db.query(REPLAY_UPSERT_SQL)
  // The same sums without feature and task: the model table reads a few rows per hour, not thousands.
  const byModel = new Map<string, RollupDelta>()
  for (const r of rollups.values()) {
    upsertRollup.run(
      r.org, r.hour, r.provider, r.model, r.feature, r.task, r.requests, r.errors, r.inputTokens, r.cachedInputTokens,
      r.outputTokens, r.reasoningTokens, r.costUsd, r.unpricedRequests, r.latencyMsSum, r.cacheWriteTokens, r.cacheWrite1hTokens,
    )
    const mkey = `${r.org}\u0000${r.hour}\u0000${r.provider}\u0000${r.model}`
    const m = byModel.get(mkey)
    if (m) mergeRollup(m, r)
    else byModel.set(mkey, { ...r })
  }
  for (const m of byModel.values()) {
    const sums = [
      m.requests, m.errors, m.inputTokens, m.outputTokens, m.costUsd, m.unpricedRequests, m.latencyMsSum,
      m.cachedInputTokens, m.cacheWriteTokens, m.cacheWrite1hTokens,
    ] as const
    upsertModelRollup.run(m.org, m.hour, m.provider, m.model, ...sums)
    // and per day, so a 30-day model table reads 30 rows per model instead of 720
    upsertModelDaily.run(m.org, m.hour - (m.hour % DAY_MS), m.provider, m.model, ...sums)
  }
  for (const l of latency.values()) upsertLatency.run(l.org, l.hour, l.provider, l.bucket, l.requests)
  for (const r of replays.values()) upsertReplay.run(...replayUpsertArgs(r))
}
