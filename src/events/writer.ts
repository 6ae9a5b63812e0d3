import type { Database, Statement } from 'bun:sqlite'
import type { LectrEvent } from './types'
import { rollupKey, type RollupDelta, addToRollup, newRollup, mergeRollup, hourOf, inRollup } from './rollup'
import { latencyBucket } from './latency-buckets'

export interface WriterOptions {
  /** flush when this many events are waiting */
  batchSize?: number
  /** flush at most this long after the first waiting event */
  flushMs?: number
  /**
   * How long a background write waits for a database locked by another connection before giving up and retrying
   * later. SQLite waits synchronously, so this is how long the proxy can stall: keep it short. (Shutdown waits
   * with the connection's own busy timeout.)
   */
  busyTimeoutMs?: number
  log?: (line: string) => void
}

const DAY_MS = 86_400_000

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

/**
 * Errors caused by an event itself, not by the database, so that retrying cannot help: a value SQLite refuses
 * (constraint, type, size) or one that cannot be bound at all (no SQLite code). Every database condition (locked,
 * busy, read-only, full, I/O) has an SQLite code and is retried; so is a closed connection.
 */
function isEventFault(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE'
  }
  return !/closed database/i.test(String((err as Error)?.message))
}

/**
 * The event log's only writer. `enqueue` is synchronous and never touches the disk, so a request never waits
 * for SQLite; batches are written in one transaction (events plus their hourly roll-ups) on a timer, one batch per
 * turn of the event loop.
 *
 * A failed write keeps the batch and tries again later with a back-off: events are never dropped because the
 * database is locked, full or read-only. Roll-ups are added only for events actually inserted, so a batch written
 * again (or an event enqueued twice) is counted once. The one exception to "never dropped": an event SQLite itself
 * refuses (a constraint on one of its values), which would otherwise block every event behind it forever; it is
 * found by writing that batch event by event, logged and counted in `dropped`.
 */
export class EventWriter {
  private queue: LectrEvent[] = []
  /** work that completes an event (metering a whole answer), see `enqueue`: events and their completions, in order */
  private completingEvents: LectrEvent[] = []
  private completions: (() => void)[] = []
  private completing = false
  private readonly completeWaiting = () => {
    this.completing = false
    this.completeAll()
  }
  private timer: ReturnType<typeof setTimeout> | null = null
  private immediate: ReturnType<typeof setImmediate> | null = null
  private failures = 0
  private readonly batchSize: number
  private readonly flushMs: number
  private readonly busyTimeoutMs: number
  /** the connection's own busy timeout, restored after each background write */
  private readonly connectionBusyMs: number
  private readonly log: (line: string) => void
  private insertEvent: Statement
  private upsertRollup: Statement
  private upsertLatency: Statement
  private upsertModelRollup: Statement
  private upsertModelDaily: Statement
  /** events written since start (for tests, health and benchmarks) */
  written = 0
  /** events SQLite refused outright (see the class comment) */
  dropped = 0
  private closed = false

  constructor(
    private db: Database,
    opts: WriterOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 1000
    this.flushMs = opts.flushMs ?? 50
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 50
    this.connectionBusyMs = (db.query('PRAGMA busy_timeout').get() as { timeout: number } | null)?.timeout ?? 0
    this.log = opts.log ?? ((l) => console.error(l))
    this.insertEvent = db.prepare(
      `INSERT INTO events (id, time, org_id, provider, provider_unknown, detection, model, response_model, endpoint,
        stream, status, error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd,
        latency_ms, ttfb_ms, feature, task, usage_estimated, registry_version, cache_write_tokens, cache_write_1h_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id, id) DO NOTHING`,
    )
    this.upsertRollup = db.prepare(
      `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens,
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
        latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`,
    )
    this.upsertModelRollup = db.prepare(modelRollupUpsert('model_rollups_hourly', 'hour'))
    this.upsertModelDaily = db.prepare(modelRollupUpsert('model_rollups_daily', 'day'))
    this.upsertLatency = db.prepare(
      `INSERT INTO latency_hourly (org_id, hour, provider, bucket, requests) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (org_id, hour, provider, bucket) DO UPDATE SET requests = requests + excluded.requests`,
    )
  }

  get pending(): number {
    return this.queue.length
  }

  /**
   * Queues an event. `complete`, if given, fills in the rest of it (usage and cost of an answer already sent): work
   * the client no longer has to wait for. It runs once, at the next turn of the event loop (after the answer went
   * out, while its bytes are still in the CPU's caches), or at a write or flush that comes first.
   */
  enqueue(event: LectrEvent, complete?: () => void): void {
    if (this.closed) {
      // Only a request outliving the shutdown gets here; the database is closed, so it can only be reported.
      this.log(`lectr: event ${event.id} arrived after the event log was closed; not written`)
      return
    }
    if (complete) {
      this.completingEvents.push(event)
      this.completions.push(complete)
      if (!this.completing) {
        this.completing = true
        setImmediate(this.completeWaiting)
      }
    }
    this.queue.push(event)
    if (this.queue.length >= this.batchSize && this.failures === 0) this.schedule(0)
    else this.schedule(this.flushMs)
  }

  /** Schedules a write in `ms` (0: at the next turn of the event loop); an earlier scheduled write wins. */
  private schedule(ms: number) {
    if (this.immediate) return
    if (this.timer && ms > 0) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    // setImmediate for "now": a 0 ms timer costs about 1 ms in Bun, per batch of a backlog.
    if (ms === 0) this.immediate = setImmediate(() => this.onTimer())
    else this.timer = setTimeout(() => this.onTimer(), ms)
  }

  private cancelScheduled() {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    this.timer = null
    this.immediate = null
  }

  private onTimer() {
    this.timer = null
    this.immediate = null
    // One batch per turn, so a backlog (after the database was locked for a while) never blocks requests for long.
    if (this.writeSome(1, this.busyTimeoutMs) && this.queue.length > 0) this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushMs)
  }

  /** Writes everything waiting. Returns false (and keeps the events) when the write failed. */
  flush(): boolean {
    return this.writeSome(Infinity, this.busyTimeoutMs)
  }

  /** Writes up to `maxBatches` batches; false when a write failed (the events stay queued and a retry is scheduled). */
  private writeSome(maxBatches: number, busyMs: number): boolean {
    if (this.queue.length === 0) return true
    const restore = busyMs !== this.connectionBusyMs
    if (restore) this.db.exec(`PRAGMA busy_timeout = ${busyMs}`)
    try {
      for (let n = 0; n < maxBatches && this.queue.length > 0; n++) {
        const batch = this.queue.slice(0, this.batchSize)
        this.completeAll()
        try {
          this.written += this.writeBatch(batch)
        } catch (err) {
          if (isEventFault(err) && this.writeOneByOne(batch)) continue
          this.failures++
          this.log(`lectr: event log write failed (${this.queue.length} events kept, attempt ${this.failures}): ${(err as Error).message}`)
          // Back off up to 5 s so a full disk or a locked database does not spin the CPU.
          this.schedule(Math.min(5000, 100 * 2 ** Math.min(this.failures, 6)))
          return false
        }
        this.failures = 0
        this.queue.splice(0, batch.length)
      }
      return true
    } finally {
      if (restore) this.db.exec(`PRAGMA busy_timeout = ${this.connectionBusyMs}`)
    }
  }

  /** Runs every waiting completion (those of events not yet written, so none of the batch about to be written waits). */
  private completeAll(): void {
    if (this.completions.length === 0) return
    const events = this.completingEvents
    const completions = this.completions
    this.completingEvents = []
    this.completions = []
    for (let i = 0; i < completions.length; i++) {
      try {
        completions[i]!()
      } catch (err) {
        // A metering bug must not keep the event from the log: it is written as it stands (usage unknown).
        this.log(`lectr: event ${String(events[i]!.id).slice(0, 64)} could not be completed: ${(err as Error).message}`)
      }
    }
  }

  /**
   * A batch failed because of an event's values: writes it event by event, dropping (and logging) only the events
   * SQLite refuses. Returns false, keeping the rest of the batch queued, when the database itself fails meanwhile.
   */
  private writeOneByOne(batch: LectrEvent[]): boolean {
    for (const e of batch) {
      try {
        this.written += this.writeBatch([e])
      } catch (err) {
        if (!isEventFault(err)) return false
        this.dropped++
        this.log(`lectr: event ${String(e.id).slice(0, 64)} cannot be stored and was dropped: ${(err as Error).message}`)
      }
      this.queue.splice(this.queue.indexOf(e), 1)
    }
    this.failures = 0
    return true
  }

  /** One transaction: the events, then the roll-ups of those actually inserted. Returns how many were inserted. */
  private writeBatch(batch: LectrEvent[]): number {
    return this.db.transaction(() => {
      const rollups = new Map<string, RollupDelta>()
      /** latency histogram counts (index: bucket) per roll-up row, summed per provider below */
      const latencyOf = new Map<RollupDelta, number[]>()
      // Consecutive events mostly share a roll-up row: the last one is checked before building a key.
      let roll: RollupDelta | null = null
      let counts: number[] = []
      let inserted = 0
      // Events recorded in the same millisecond share one time string (see isoNow): parse each only once.
      let timeText = ''
      let time = 0
      for (const e of batch) {
        if (e.time !== timeText) {
          timeText = e.time
          time = Date.parse(timeText)
        }
        const r = this.insertEvent.run(
          e.id, time, e.org, e.provider, e.providerUnknown ? 1 : 0, e.detection, e.model, e.responseModel,
          e.endpoint, e.stream ? 1 : 0, e.status, e.errorCode, e.inputTokens, e.cachedInputTokens, e.outputTokens,
          e.reasoningTokens, e.costUsd, e.latencyMs, e.ttfbMs, e.feature, e.task, e.usageEstimated ? 1 : 0, e.registryVersion,
          e.cacheWriteTokens ?? null, e.cacheWrite1hTokens ?? null,
        )
        // Already in the log (the same id): its roll-up was counted when it was inserted.
        if (r.changes === 0) continue
        inserted++
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
      // The same sums without feature and task: the model table reads a few rows per hour, not thousands.
      const byModel = new Map<string, RollupDelta>()
      for (const r of rollups.values()) {
        this.upsertRollup.run(
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
        this.upsertModelRollup.run(m.org, m.hour, m.provider, m.model, ...sums)
        // and per day, so a 30-day model table reads 30 rows per model instead of 720
        this.upsertModelDaily.run(m.org, m.hour - (m.hour % DAY_MS), m.provider, m.model, ...sums)
      }
      for (const l of latency.values()) this.upsertLatency.run(l.org, l.hour, l.provider, l.bucket, l.requests)
      return inserted
    })()
  }

  /**
   * Stops the timer and writes everything, retrying a few times; used on shutdown, where waiting is fine, so a
   * locked database is waited for with the connection's own busy timeout. Returns false if events remain unwritten.
   */
  close(): boolean {
    this.cancelScheduled()
    this.closed = true
    let ok = false
    for (let attempt = 0; attempt < 5 && !ok; attempt++) {
      if (attempt > 0) Bun.sleepSync(200)
      ok = this.writeSome(Infinity, Math.max(this.connectionBusyMs, 1000))
      this.cancelScheduled()
    }
    if (!ok) this.log(`lectr: ${this.queue.length} events could not be written before exit`)
    return ok
  }
}
