import type { LectrEvent } from '../domain'
import type { EventSink, MaybePromise } from './sink'
import { SpillFile } from './spill'

export interface WriterOptions {
  /** flush when this many events are waiting */
  batchSize?: number
  /** flush at most this long after the first waiting event */
  flushMs?: number
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
  /** events lost since start because the store refused them (or their spilled line was damaged) */
  dropped: number
  /** the last write's error while the event log cannot be written, else null */
  failing: string | null
  /** true until every spilled event is written (read back from the file is not enough) */
  replaying: boolean
}

/** `f(v)`, at once for a value, after it for a promise: the sync path (SQLite) never waits a tick. */
function after<T, U>(v: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> {
  return v instanceof Promise ? v.then(f) : f(v)
}

/**
 * The event log's only writer, whatever stores it (an `EventSink`: SQLite today). `enqueue` is synchronous and never
 * touches the disk, so a request never waits for the database; batches are given to the sink on a timer, one batch
 * per turn of the event loop, one batch at a time. A sink that answers synchronously (SQLite) is written without a
 * single await; one that answers with a Promise has at most one batch in flight, and the next waits for it, so the
 * order is kept.
 *
 * A failed write keeps the batch and tries again later with a back-off: events are never dropped because the
 * database is locked, full, read-only or unreachable. The sink counts only events it actually inserted, so a batch
 * written again (or an event enqueued twice) is counted once. The one exception to "never dropped": an event the
 * store itself refuses (`isEventFault`: a constraint on one of its values), which would otherwise block every event
 * behind it forever; it is found by writing that batch event by event, logged and counted in `dropped`.
 *
 * Memory is bounded: at most `maxQueued` events wait in memory. While the database cannot be written for long enough
 * to fill that, further events are appended to the spill file (on the next turn, never in `enqueue`) and, once writes
 * work again, read back in order into the queue; every later event goes behind them, through the file, until it is
 * empty. Only when the file cannot be written either (no spill path, a full disk) are events lost: counted in
 * `overflowed`, logged once per burst, not once per event.
 *
 * Reads (dashboard, admin API) never write: they await `whenWritten()`, which asks for a write at the next turn and
 * resolves once every event queued before it is stored. So a read is never behind its own (or any earlier) request's
 * events, except while the store fails: then it resolves at once and the read shows what is stored (behind by the
 * `queued + spilled` of /api/health), rather than waiting for a database that may not come back.
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
  private readonly log: (line: string) => void
  /** events written since start (for tests, health and benchmarks) */
  written = 0
  /** events the store refused outright (see the class comment) */
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
  /** the writes under way while an async sink has a batch (settled once the chain of batches ends) */
  private inFlight: Promise<boolean> | null = null
  /** events taken in so far, in order (a spill file left by an earlier run counts first) */
  private accepted = 0
  /** of those, events out of the pipeline: stored, skipped as already stored, dropped or lost */
  private settled = 0
  /** reads waiting for every event accepted before them (`accepted` then) to be settled; targets ascending */
  private waiters: { target: number; resolve: () => void }[] = []

  constructor(
    private readonly sink: EventSink,
    opts: WriterOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 1000
    this.flushMs = opts.flushMs ?? 50
    this.log = opts.log ?? ((l) => console.error(l))
    this.maxQueued = Math.max(1, opts.maxQueued ?? 100_000)
    this.spill = opts.spillPath ? new SpillFile(opts.spillPath) : null
    if (this.spill?.exists) {
      this.accepted = this.spill.unread
      this.log(`lectr: replaying ${this.spill.unread} events from ${this.spill.path}, left by an earlier run`)
      this.schedule(0)
    }
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
      // Only a request outliving the shutdown gets here; the store is closed, so it can only be reported.
      this.log(`lectr: event ${event.id} arrived after the event log was closed; not written`)
      return
    }
    this.accepted++
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

  /**
   * Resolves once every event queued before this call is stored (or dropped, or lost), for a read that must see
   * them. It asks for a write at the next turn of the event loop and never writes itself. It resolves at once when
   * nothing waits, while writes fail (the read shows what is stored; it never waits for a database that may not
   * come back), when a write fails meanwhile, and after `close`.
   */
  whenWritten(): Promise<void> {
    if (this.closed || this.failures > 0 || this.idle()) return Promise.resolve()
    const target = this.accepted
    const done = new Promise<void>((resolve) => this.waiters.push({ target, resolve }))
    this.schedule(0)
    return done
  }

  /** nothing waits to be written: the queue and spill file are empty and no batch is in flight */
  private idle(): boolean {
    return this.queue.length === 0 && this.spilled === 0 && !this.inFlight
  }

  /** Resolves the reads whose events are all settled (all of them when `all`, the writer fails, or nothing waits). */
  private releaseWaiters(all = false): void {
    if (this.waiters.length === 0) return
    const everyone = all || this.failures > 0 || this.idle()
    let n = 0
    while (n < this.waiters.length && (everyone || this.waiters[n]!.target <= this.settled)) this.waiters[n++]!.resolve()
    if (n > 0) this.waiters.splice(0, n)
  }

  /** `n` events left the pipeline without being stored (lost or dropped). */
  private settle(n: number): void {
    this.settled += n
    this.releaseWaiters()
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
      this.settle(1)
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
      this.settle(events.length)
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
      if (damaged > 0) this.settle(damaged)
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
    this.settle(n)
  }

  /** Removes one event of the queue (written on its own, or refused). */
  private removeEvent(e: LectrEvent): void {
    const at = this.queue.indexOf(e)
    this.queue.splice(at, 1)
    if (at < this.fromSpill) this.fromSpill--
    this.settle(1)
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
    // A batch in flight: when it settles, `afterFlight` schedules what is left.
    if (this.inFlight) return
    // One batch per turn, so a backlog (after the database was locked for a while) never blocks requests for long.
    if (this.writeSome(1) !== true) return
    this.refill()
    this.scheduleRest()
  }

  /** After a successful write: the next turn's write, if anything waits (the spill file's removal included). */
  private scheduleRest(): void {
    const now = this.queue.length >= this.batchSize || (this.queue.length > 0 && (this.spill?.exists || this.waiters.length > 0))
    if (now) this.schedule(0)
    else if (this.queue.length > 0 || this.spill?.exists) this.schedule(this.flushMs)
  }

  /**
   * Writes everything waiting, the spill file included (tests, and shutdown through `close`). Returns false (and
   * keeps the events) when a write failed: at once for a synchronous store, as a Promise for an async one (or while
   * a batch is in flight). Never call it on a request's path: a read awaits `whenWritten`.
   */
  flush(): MaybePromise<boolean> {
    return this.writeAll()
  }

  private writeAll(): MaybePromise<boolean> {
    // One batch at a time: after the one in flight (its end may have started another: then after that one too).
    if (this.inFlight) return this.inFlight.then(() => this.writeAll())
    this.appendSpill()
    for (;;) {
      const ok = this.writeSome(Infinity)
      if (ok === false) return false
      if (ok !== true) return ok.then((done) => done && this.writeAll())
      this.refill()
      if (this.queue.length === 0) return true
    }
  }

  /**
   * Writes up to `maxBatches` batches; false when a write failed (the events stay queued and a retry is scheduled).
   * Synchronous while the sink answers with numbers; at its first Promise the rest goes on in `writeAsync`.
   */
  private writeSome(maxBatches: number): MaybePromise<boolean> {
    for (let n = 0; n < maxBatches && this.queue.length > 0; n++) {
      const batch = this.queue.slice(0, this.batchSize)
      this.completeAll()
      let stored: MaybePromise<number>
      try {
        stored = this.sink.append(batch)
      } catch (err) {
        const handled = this.batchFailed(batch, err)
        if (handled === true) continue
        if (handled === false) return false
        return this.track(handled.then((ok) => ok && this.writeAsync(null, [], maxBatches - n - 1)))
      }
      if (typeof stored === 'number') {
        this.batchWritten(batch.length, stored)
        continue
      }
      return this.track(this.writeAsync(stored, batch, maxBatches - n))
    }
    return true
  }

  /** `writeSome` for a sink that answered with a Promise: awaits `stored` (of `batch`), then writes up to `maxBatches` in all. */
  private async writeAsync(stored: Promise<number> | null, batch: LectrEvent[], maxBatches: number): Promise<boolean> {
    let done = 0
    for (;;) {
      if (stored) {
        try {
          this.batchWritten(batch.length, await stored)
        } catch (err) {
          if (!(await this.batchFailed(batch, err))) return false
        }
        done++
      }
      if (done >= maxBatches || this.queue.length === 0) return true
      batch = this.queue.slice(0, this.batchSize)
      this.completeAll()
      try {
        stored = Promise.resolve(this.sink.append(batch))
      } catch (err) {
        stored = Promise.reject(err)
      }
    }
  }

  /** Marks the chain of writes `p` as in flight until it ends; then `afterFlight`. */
  private track(p: Promise<boolean>): Promise<boolean> {
    // A bug below must not leave the writer stuck "in flight": counted as a failed write, retried after a back-off.
    const tracked = p.catch((err: unknown) => this.failed(err)).finally(() => this.afterFlight())
    this.inFlight = tracked
    return tracked
  }

  /** A chain of async writes ended: what the timer would do after a write (unless closing: `close` goes on itself). */
  private afterFlight(): void {
    this.inFlight = null
    if (!this.closed) {
      if (this.failures > 0) {
        if (!this.timer && !this.immediate) this.schedule(this.backOffMs())
      } else {
        this.refill()
        this.scheduleRest()
      }
    }
    this.releaseWaiters()
  }

  private batchWritten(size: number, stored: number): void {
    this.written += stored
    this.failures = 0
    this.lastError = null
    this.removeHead(size)
  }

  /**
   * A batch failed: if an event's values are at fault, the batch is written event by event (true when that
   * worked); otherwise (false) the events stay queued and a retry is scheduled with a back-off.
   */
  private batchFailed(batch: LectrEvent[], err: unknown): MaybePromise<boolean> {
    if (!this.sink.isEventFault(err)) return this.failed(err)
    return after(this.writeOneByOne(batch, 0), (ok) => ok || this.failed(err))
  }

  private failed(err: unknown): false {
    this.failures++
    this.lastError = (err as Error)?.message ?? String(err)
    this.log(`lectr: event log write failed (${this.queue.length + this.spilled} events kept, attempt ${this.failures}): ${this.lastError}`)
    this.schedule(this.backOffMs())
    // Reads waiting for these events see what is stored instead of waiting for the store to come back.
    this.releaseWaiters()
    return false
  }

  /** Back off up to 5 s so a full disk or a locked (or unreachable) database does not spin the CPU. */
  private backOffMs(): number {
    return Math.min(5000, 100 * 2 ** Math.min(this.failures, 6))
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
   * A batch failed because of an event's values: writes it event by event from `from`, dropping (and logging) only
   * the events the store refuses. Returns false, keeping the rest of the batch queued, when the database itself
   * fails meanwhile.
   */
  private writeOneByOne(batch: LectrEvent[], from: number): MaybePromise<boolean> {
    for (let i = from; i < batch.length; i++) {
      const e = batch[i]!
      let stored: MaybePromise<number>
      try {
        stored = this.sink.append([e])
      } catch (err) {
        if (!this.refused(e, err)) return false
        continue
      }
      if (typeof stored === 'number') {
        this.written += stored
        this.removeEvent(e)
        continue
      }
      const next = i + 1
      return stored.then(
        (n) => {
          this.written += n
          this.removeEvent(e)
          return this.writeOneByOne(batch, next)
        },
        (err) => this.refused(e, err) && this.writeOneByOne(batch, next),
      )
    }
    this.failures = 0
    this.lastError = null
    return true
  }

  /** `e` could not be written on its own: dropped (true) if its values are at fault, else false (the database failed). */
  private refused(e: LectrEvent, err: unknown): boolean {
    if (!this.sink.isEventFault(err)) return false
    this.dropped++
    this.log(`lectr: event ${String(e.id).slice(0, 64)} cannot be stored and was dropped: ${(err as Error).message}`)
    this.removeEvent(e)
    return true
  }

  /**
   * Stops the timer and writes everything, retrying a few times; used on shutdown, where waiting is fine (the sink is
   * told, so SQLite waits for a locked database with the connection's own busy timeout). Waits for a batch in flight
   * first. Returns false if events remain unwritten (they go to the spill file for the next start): at once for a
   * synchronous store, as a Promise for an async one.
   */
  close(): MaybePromise<boolean> {
    if (this.spillImmediate) clearImmediate(this.spillImmediate)
    this.spillImmediate = null
    this.cancelScheduled()
    this.closed = true
    this.sink.closing()
    if (this.inFlight) return this.inFlight.then(() => this.closeAttempt(0))
    return this.closeAttempt(0)
  }

  private closeAttempt(attempt: number): MaybePromise<boolean> {
    const result = this.writeAll()
    return after(result, (ok) => {
      this.cancelScheduled()
      if (ok || attempt >= 4) {
        if (!ok) this.keepForNextRun()
        this.releaseWaiters(true)
        return ok
      }
      if (result instanceof Promise) return Bun.sleep(200).then(() => this.closeAttempt(attempt + 1))
      Bun.sleepSync(200)
      return this.closeAttempt(attempt + 1)
    })
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
