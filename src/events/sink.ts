import type { LectrEvent } from '../domain'

/** A value, or the promise of one: what a store's write returns (SQLite answers at once, Postgres later). */
export type MaybePromise<T> = T | Promise<T>

/**
 * Where the event writer (src/events/writer.ts) stores its batches: the write side of the event store
 * (src/storage/events.ts `EventStore`). The writer owns queueing, order, retries and the spill file; a sink only
 * stores a batch, or says why it could not.
 */
export interface EventSink {
  /**
   * Stores `batch` in one transaction, with the roll-ups of the events it inserts, and returns how many were new: an
   * event whose id is already stored is skipped and not counted (or rolled up) again. Throws (or rejects) when
   * nothing of the batch was stored. A Promise is awaited before the next batch is given: one batch at a time.
   */
  append(batch: readonly LectrEvent[]): MaybePromise<number>
  /**
   * True when `err` (from `append`) is caused by an event's own values (a value the database refuses), so writing
   * the batch again cannot help; false for the database's own condition (locked, busy, full, read-only,
   * unreachable, closed), which the writer retries with a back-off.
   */
  isEventFault(err: unknown): boolean
  /** The writer is shutting down: a write may now wait for a busy database as long as the store allows. */
  closing(): void
}
