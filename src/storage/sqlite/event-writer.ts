import type { Database } from 'bun:sqlite'
import { EventWriter, type WriterOptions } from '../../events/writer'
import { SqliteEventStore, type SqliteEventStoreOptions } from './events'

/** The event writer over an SQLite event log (tests, benchmarks and tools that have only a database). */
export function sqliteEventWriter(db: Database, opts: WriterOptions & SqliteEventStoreOptions = {}): EventWriter {
  return new EventWriter(new SqliteEventStore(db, { busyTimeoutMs: opts.busyTimeoutMs }), opts)
}
