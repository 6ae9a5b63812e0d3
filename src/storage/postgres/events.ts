import type { SQL } from 'bun'
import type { LectrEvent } from '../../domain'
import type { ArmRow, BrowseOptions, EventFilter, EventPage, EventStore, UnpricedModel } from '../events'
import { postgresFailure } from './errors'
import { insertEventBatch, insertNewEventBatch, isDuplicateEvent, storableText } from './event-batch'
import { browseEvents } from './event-browse'
import { rollupDeltasOf } from './event-deltas'
import { postgresExportPages } from './event-export'
import { armsOf, getEvent, listEvents, pruneEvents, unpricedModels } from './event-queries'
import { PartitionDays } from './partitions'
import { markLateDays } from './rollup-marks'
import { addAllDeltas } from './rollup-upserts'

export interface PostgresEventStoreOptions {
  /** rows an export reads per step (200) */
  exportScanRows?: number
}

/** How often `append` runs its transaction again at once after a lost race or a day's partition found missing. */
const RETRIES = 2

/**
 * An event as Postgres stores it: text cannot hold U+0000, so every string field has it as U+FFFD (see
 * `storableText`). The roll-ups are computed from this form, so they group exactly as the stored events do.
 */
function storableEvent(e: LectrEvent): LectrEvent {
  let copy: Record<string, unknown> | null = null
  for (const [k, v] of Object.entries(e)) {
    if (typeof v === 'string' && v.includes('\u0000')) (copy ??= { ...e })[k] = storableText(v)
  }
  return (copy as LectrEvent | null) ?? e
}

/**
 * The event log in Postgres (SPEC section 10), constructed from a pool already migrated (`migratePostgres`). Gives
 * the same answers as `SqliteEventStore` for the same appended events (test/storage/contract/events.test.ts), one
 * difference aside: U+0000 in a string is stored, so read back, as U+FFFD.
 */
export class PostgresEventStore implements EventStore {
  private days = new PartitionDays()

  constructor(
    private readonly sql: SQL,
    private readonly opts: PostgresEventStoreOptions = {},
  ) {}

  /** Creates the partitions of today and tomorrow, so the first batches cost no catalog work (call at start). */
  async prepare(now = Date.now()): Promise<void> {
    await this.days.ensure(this.sql, [now, now + 86_400_000])
  }

  /**
   * One transaction: the events, then the roll-ups of those actually inserted (a replayed event is skipped, and
   * not rolled up again). Returns how many were inserted. The partitions of the batch's days are made first.
   */
  async append(batch: readonly LectrEvent[]): Promise<number> {
    if (batch.length === 0) return 0
    const events = batch.map(storableEvent)
    const times = events.map((e) => Date.parse(e.time))
    // First as a batch of new events (the cheap statement); once one turns out to be stored already, as a replay.
    let replay = false
    for (let attempt = 0; ; attempt++) {
      try {
        await this.days.ensure(this.sql, times)
        return await this.sql.begin(async (tx) => {
          // A replay inserts (and returns) only the events not stored yet; a batch of new events goes in whole.
          let inserted: typeof events = events
          if (replay) inserted = await insertEventBatch(tx, events)
          else await insertNewEventBatch(tx, events)
          if (inserted.length > 0) await addAllDeltas(tx, rollupDeltasOf(inserted))
          // Events of a day already over (rare): every instance's kept copy of that day is read again.
          await markLateDays(tx, inserted, Date.now())
          return inserted.length
        })
      } catch (err) {
        if (!replay && isDuplicateEvent(err)) {
          // Not a failure: the transaction is simply run again, skipping what is stored (no retry is used up).
          replay = true
          attempt--
          continue
        }
        const failure = postgresFailure(err)
        if (attempt >= RETRIES || (failure !== 'conflict' && failure !== 'no-partition')) throw err
        // A day dropped by retention (here or on another instance) since it was ensured: ensure every day again.
        if (failure === 'no-partition') this.days = new PartitionDays()
      }
    }
  }

  /** Only a statement the server refuses for its data is the events' fault; everything else waits and is retried. */
  isEventFault(err: unknown): boolean {
    return postgresFailure(err) === 'rejected'
  }

  /** Nothing to change: a write waits for the pool's connection timeout whether closing or not. */
  closing(): void {}

  list(org: string, filter: EventFilter, page: { limit: number; cursor: string | null }): Promise<EventPage> {
    return listEvents(this.sql, org, filter, page)
  }

  browse(org: string, filter: EventFilter, cursor: string | null, opts: BrowseOptions): Promise<EventPage> {
    return browseEvents(this.sql, org, filter, cursor, opts)
  }

  get(org: string, id: string): Promise<LectrEvent | null> {
    return getEvent(this.sql, org, id)
  }

  exportPages(org: string, filter: EventFilter): AsyncIterableIterator<LectrEvent[]> {
    return postgresExportPages(this.sql, org, filter, { scanRows: this.opts.exportScanRows })
  }

  arms(org: string, since: number | null, until: number | null): Promise<ArmRow[]> {
    return armsOf(this.sql, org, since, until)
  }

  unpricedModels(since: number, limit?: number): Promise<UnpricedModel[]> {
    return unpricedModels(this.sql, since, limit)
  }

  prune(olderThan: number, opts?: { slice?: number; stopped?: () => boolean }): Promise<number> {
    return pruneEvents(this.sql, olderThan, { ...opts, onDropped: (cutoff) => this.days.forgetBefore(cutoff) })
  }
}
