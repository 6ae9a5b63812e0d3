import type { Database, Statement } from 'bun:sqlite'
import type { LectrEvent } from './types'
import { rollupKey, type RollupDelta, addToRollup, newRollup } from './rollup'
import { latencyBucket } from './latency-buckets'

export interface WriterOptions {
  /** flush when this many events are waiting */
  batchSize?: number
  /** flush at most this long after the first waiting event */
  flushMs?: number
  log?: (line: string) => void
}

/**
 * The event log's only writer. `enqueue` is synchronous and never touches the disk, so a request never waits
 * for SQLite; batches are written in one transaction (events plus their hourly roll-ups) on a timer.
 * A failed write keeps the batch and tries again later: events are never dropped.
 */
export class EventWriter {
  private queue: LectrEvent[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private failures = 0
  private readonly batchSize: number
  private readonly flushMs: number
  private readonly log: (line: string) => void
  private insertEvent: Statement
  private upsertRollup: Statement
  private upsertLatency: Statement
  /** events written since start (for tests, health and benchmarks) */
  written = 0

  constructor(
    private db: Database,
    opts: WriterOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 1000
    this.flushMs = opts.flushMs ?? 50
    this.log = opts.log ?? ((l) => console.error(l))
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO events (id, time, org_id, provider, provider_unknown, detection, model, response_model, endpoint,
        stream, status, error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd,
        latency_ms, ttfb_ms, feature, task, usage_estimated, registry_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.upsertRollup = db.prepare(
      `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens,
        cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, hour, provider, model, feature, task) DO UPDATE SET
        requests = requests + excluded.requests, errors = errors + excluded.errors,
        input_tokens = input_tokens + excluded.input_tokens,
        cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
        cost_usd = cost_usd + excluded.cost_usd, unpriced_requests = unpriced_requests + excluded.unpriced_requests,
        latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`,
    )
    this.upsertLatency = db.prepare(
      `INSERT INTO latency_hourly (org_id, hour, provider, bucket, requests) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (org_id, hour, provider, bucket) DO UPDATE SET requests = requests + excluded.requests`,
    )
  }

  get pending(): number {
    return this.queue.length
  }

  enqueue(event: LectrEvent): void {
    this.queue.push(event)
    if (this.queue.length >= this.batchSize && this.failures === 0) this.schedule(0)
    else this.schedule(this.flushMs)
  }

  private schedule(ms: number) {
    if (this.timer && ms > 0) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.flush()
    }, ms)
  }

  /** Writes everything waiting. Returns false (and keeps the events) when the write failed. */
  flush(): boolean {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize)
      try {
        this.writeBatch(batch)
      } catch (err) {
        this.failures++
        this.log(`lectr: event log write failed (${batch.length} events kept, attempt ${this.failures}): ${(err as Error).message}`)
        // Back off up to 5 s so a full disk or a locked database does not spin the CPU.
        this.schedule(Math.min(5000, 100 * 2 ** Math.min(this.failures, 6)))
        return false
      }
      this.failures = 0
      this.queue.splice(0, batch.length)
      this.written += batch.length
    }
    return true
  }

  private writeBatch(batch: LectrEvent[]) {
    const rollups = new Map<string, RollupDelta>()
    const latency = new Map<string, { org: string; hour: number; provider: string; bucket: number; requests: number }>()
    for (const e of batch) {
      const key = rollupKey(e)
      let r = rollups.get(key)
      if (!r) rollups.set(key, (r = newRollup(e)))
      addToRollup(r, e)
      const bucket = latencyBucket(e.latencyMs)
      const lkey = `${r.org}\u0000${r.hour}\u0000${e.provider}\u0000${bucket}`
      const l = latency.get(lkey)
      if (l) l.requests++
      else latency.set(lkey, { org: r.org, hour: r.hour, provider: e.provider, bucket, requests: 1 })
    }
    this.db.transaction(() => {
      for (const e of batch) {
        this.insertEvent.run(
          e.id, Date.parse(e.time), e.org, e.provider, e.providerUnknown ? 1 : 0, e.detection, e.model, e.responseModel,
          e.endpoint, e.stream ? 1 : 0, e.status, e.errorCode, e.inputTokens, e.cachedInputTokens, e.outputTokens,
          e.reasoningTokens, e.costUsd, e.latencyMs, e.ttfbMs, e.feature, e.task, e.usageEstimated ? 1 : 0, e.registryVersion,
        )
      }
      for (const r of rollups.values()) {
        this.upsertRollup.run(
          r.org, r.hour, r.provider, r.model, r.feature, r.task, r.requests, r.errors, r.inputTokens, r.cachedInputTokens,
          r.outputTokens, r.reasoningTokens, r.costUsd, r.unpricedRequests, r.latencyMsSum,
        )
      }
      for (const l of latency.values()) this.upsertLatency.run(l.org, l.hour, l.provider, l.bucket, l.requests)
    })()
  }

  /** Stops the timer and writes everything, retrying a few times; used on shutdown. */
  close(): boolean {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.flush()) {
        if (this.timer) clearTimeout(this.timer)
        this.timer = null
        return true
      }
      Bun.sleepSync(200)
    }
    if (this.timer) clearTimeout(this.timer)
    return false
  }
}
