import type { LectrEvent } from '../domain'
import type { Database, SQLQueryBindings, Statement } from 'bun:sqlite'
import { EVENT_INSERT, eventValues } from './columns'
import { SpillFile } from './spill'
import { writeRollups } from '../rollups/write-sqlite'

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
  /** most events waiting in memory (LECTR_EVENT_BUFFER); beyond it they go to the spill file, or are counted lost */
  maxQueued?: number
  /** where events beyond `maxQueued` wait (`<db>.spill.ndjson`); null: they are counted in `overflowed` and lost */
  spillPath?: string | null
  log?: (line: string) => void
}

/** What /api/health reports about the event log. */
export interface EventLogHealth {
  /** events waiting in memory */
  queued: number
  /** events waiting in the spill file */
  spilled: number
  /** events written since start */
  written: number
  /** events lost since start because the queue was full and could not be spilled */
  overflowed: number
  /** events lost since start because SQLite refused them (or their spilled line was damaged) */
  dropped: number
  /** the last write's error while the event log cannot be written, else null */
  failing: string | null
  /** true until every spilled event is written (read back from the file is not enough) */
  replaying: boolean
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
 *
 * Memory is bounded: at most `maxQueued` events wait in memory. While the database cannot be written for long enough
 * to fill that, further events are appended to the spill file (on the next turn, never in `enqueue`) and, once writes
 * work again, read back in order into the queue; every later event goes behind them, through the file, until it is
 * empty. Only when the file cannot be written either (no spill path, a full disk) are events lost: counted in
 * `overflowed`, logged once per burst, not once per event.
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
  /** events written since start (for tests, health and benchmarks) */
  written = 0
  /** events SQLite refused outright (see the class comment) */
  dropped = 0
  /** events lost because the queue was full and the spill file could not take them */
  overflowed = 0
  private readonly maxQueued: number
  private readonly spill: SpillFile | null
  /** events beyond the bound, appended to the spill file at the next turn of the event loop */
  private spillWaiting: LectrEvent[] = []
  private spillImmediate: ReturnType<typeof setImmediate> | null = null
  /** the queue's first `fromSpill` events include every event read back from the spill file (removed once they are written) */
  private fromSpill = 0
  /** the last write's error, while writes fail */
  private lastError: string | null = null
  /** one log line per burst of events beyond the bound: set when the burst starts, cleared when the queue has room */
  private overflowLogged = false
  private spillFailLogged = false
  private removeFailLogged = false
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
    this.maxQueued = Math.max(1, opts.maxQueued ?? 100_000)
    this.spill = opts.spillPath ? new SpillFile(opts.spillPath) : null
    if (this.spill?.exists) {
      this.log(`lectr: replaying ${this.spill.unread} events from ${this.spill.path}, left by an earlier run`)
      this.schedule(0)
    }
    this.insertEvent = db.prepare(`${EVENT_INSERT} ON CONFLICT (org_id, id) DO NOTHING`)
  }

  /** events waiting in memory */
  get pending(): number {
    return this.queue.length
  }

  /** events waiting in the spill file (or about to be appended to it) */
  get spilled(): number {
    return (this.spill?.unread ?? 0) + this.spillWaiting.length
  }

  health(): EventLogHealth {
    return {
      queued: this.queue.length, spilled: this.spilled, written: this.written, overflowed: this.overflowed,
      dropped: this.dropped, failing: this.failures > 0 ? this.lastError : null,
      replaying: this.spilled > 0 || (this.spill?.exists ?? false),
    }
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
    // Behind events already beyond the bound (in the file or on their way to it), so the order is kept.
    if (this.queue.length >= this.maxQueued || this.spilled > 0) return this.beyondBound(event)
    this.queue.push(event)
    if (this.queue.length >= this.batchSize && this.failures === 0) this.schedule(0)
    else this.schedule(this.flushMs)
  }

  /** An event that does not fit in memory: to the spill file at the next turn, or counted lost without one. */
  private beyondBound(event: LectrEvent): void {
    if (!this.overflowLogged && this.queue.length >= this.maxQueued) {
      this.overflowLogged = true
      this.log(
        `lectr: the event queue is full (${this.maxQueued} events, LECTR_EVENT_BUFFER)` +
          (this.spill ? `; further events go to ${this.spill.path} until the event log can be written` : '; further events are lost until it has room') +
          ' (logged once per burst)',
      )
    }
    if (!this.spill) {
      this.overflowed++
      return
    }
    this.spillWaiting.push(event)
    if (!this.spillImmediate) this.spillImmediate = setImmediate(() => this.appendSpill())
  }

  /** Appends the events waiting for the spill file; if the disk refuses, they are lost: counted and logged once. */
  private appendSpill(): void {
    if (this.spillImmediate) clearImmediate(this.spillImmediate)
    this.spillImmediate = null
    if (!this.spill || this.spillWaiting.length === 0) return
    // Their completions fill in what is written.
    this.completeAll()
    const events = this.spillWaiting
    this.spillWaiting = []
    try {
      this.spill.append(events)
      this.spillFailLogged = false
    } catch (err) {
      this.overflowed += events.length
      if (!this.spillFailLogged) {
        this.spillFailLogged = true
        this.log(`lectr: events could not be spilled to ${this.spill.path} and are lost (counted in overflowed; logged once per burst): ${(err as Error).message}`)
      }
    }
    // The timer reads them back once the database takes writes again.
    this.schedule(this.failures === 0 ? 0 : this.flushMs)
  }

  /** Moves spilled events back into the queue, as many as it has room for (at most a batch). */
  private refill(): void {
    if (!this.spill) return
    if (this.spill.hasUnread) {
      const room = Math.min(this.batchSize, this.maxQueued - this.queue.length)
      if (room <= 0) return
      const { events, damaged } = this.spill.read(room)
      if (damaged > 0) {
        this.dropped += damaged
        this.log(`lectr: ${damaged} damaged lines in ${this.spill.path} skipped (counted in dropped)`)
      }
      for (const e of events) this.queue.push(e)
      this.fromSpill = this.queue.length
    } else if (this.spill.exists && this.fromSpill === 0) {
      try {
        this.spill.remove()
        this.removeFailLogged = false
        this.log(`lectr: every spilled event is written; ${this.spill.path} removed`)
      } catch (err) {
        // Harmless but for the disk space: replaying it again stores nothing twice. Tried again at the next write.
        if (!this.removeFailLogged) this.log(`lectr: ${this.spill.path} could not be removed (tried again after each write): ${(err as Error).message}`)
        this.removeFailLogged = true
      }
    }
  }

  /** Removes the first `n` events of the queue (written, or dropped). */
  private removeHead(n: number): void {
    this.queue.splice(0, n)
    this.fromSpill = Math.max(0, Math.min(this.fromSpill - n, this.queue.length))
    if (this.queue.length < this.maxQueued && this.spilled === 0) this.overflowLogged = false
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
    if (!this.writeSome(1, this.busyTimeoutMs)) return
    this.refill()
    this.scheduleRest()
  }

  /** After a successful write: the next turn's write, if anything waits (the spill file's removal included). */
  private scheduleRest(): void {
    if (this.queue.length >= this.batchSize || (this.queue.length > 0 && this.spill?.exists)) this.schedule(0)
    else if (this.queue.length > 0 || this.spill?.exists) this.schedule(this.flushMs)
  }

  /**
   * Writes everything waiting, the spill file included (tests, and shutdown through `close`). Returns false (and
   * keeps the events) when a write failed. Never call it on a request's path: see `flushForRead`.
   */
  flush(): boolean {
    return this.writeAll(this.busyTimeoutMs)
  }

  /**
   * What a read (dashboard, admin API) calls first so that it sees the latest events: writes at most one batch, and
   * nothing while the writer backs off after a failure, so a read never writes a backlog (or waits for a locked
   * database) on a request's thread. The timer writes the rest, a batch per turn.
   */
  flushForRead(): void {
    if (this.failures > 0 || this.closed) return
    if (this.writeSome(1, this.busyTimeoutMs)) this.scheduleRest()
  }

  private writeAll(busyMs: number): boolean {
    this.appendSpill()
    for (;;) {
      if (!this.writeSome(Infinity, busyMs)) return false
      this.refill()
      if (this.queue.length === 0) return true
    }
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
          this.lastError = (err as Error).message
          this.log(`lectr: event log write failed (${this.queue.length + this.spilled} events kept, attempt ${this.failures}): ${this.lastError}`)
          // Back off up to 5 s so a full disk or a locked database does not spin the CPU.
          this.schedule(Math.min(5000, 100 * 2 ** Math.min(this.failures, 6)))
          return false
        }
        this.failures = 0
        this.lastError = null
        this.removeHead(batch.length)
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
      const at = this.queue.indexOf(e)
      this.queue.splice(at, 1)
      if (at < this.fromSpill) this.fromSpill--
    }
    this.failures = 0
    this.lastError = null
    return true
  }

  /** One transaction: the events, then the roll-ups of those actually inserted. Returns how many were inserted. */
  private writeBatch(batch: LectrEvent[]): number {
    return this.db.transaction(() => {
      const inserted: LectrEvent[] = []
      // One array for every event's values: SQLite copies them when they are bound.
      const values: SQLQueryBindings[] = []
      for (const e of batch) {
        // Already in the log (the same id): its roll-ups were counted when it was inserted.
        if (this.insertEvent.run(eventValues(e, values)).changes > 0) inserted.push(e)
      }
      writeRollups(this.db, inserted)
      return inserted.length
    })()
  }

  /**
   * Stops the timer and writes everything, retrying a few times; used on shutdown, where waiting is fine, so a
   * locked database is waited for with the connection's own busy timeout. Returns false if events remain unwritten.
   */
  close(): boolean {
    if (this.spillImmediate) clearImmediate(this.spillImmediate)
    this.spillImmediate = null
    this.cancelScheduled()
    this.closed = true
    let ok = false
    for (let attempt = 0; attempt < 5 && !ok; attempt++) {
      if (attempt > 0) Bun.sleepSync(200)
      ok = this.writeAll(Math.max(this.connectionBusyMs, 1000))
      this.cancelScheduled()
    }
    if (!ok) this.keepForNextRun()
    return ok
  }

  /**
   * At shutdown with the database still unwritable: the events in memory go to the spill file, so the next start
   * replays them (after those already in it: the order differs, the events do not).
   */
  private keepForNextRun(): void {
    const left = this.queue.length
    if (this.spill && left > 0) {
      try {
        // Those read back from the file are in it twice then: replaying stores an id once.
        this.spill.append(this.queue)
        this.log(`lectr: the event log cannot be written; ${left} events kept in ${this.spill.path} for the next start`)
        return
      } catch (err) {
        this.overflowed += left
        this.log(`lectr: ${left} events could not be written or spilled before exit: ${(err as Error).message}`)
        return
      }
    }
    if (left > 0) this.log(`lectr: ${left} events could not be written before exit`)
  }
}
