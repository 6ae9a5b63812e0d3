import type { Database } from 'bun:sqlite'
import type { EventStore } from './events'
import { SqliteEventStore } from './sqlite/events'

/** Everything Lectr stores, one interface per area; SQLite its one implementation today. */
export interface Storage {
  events: EventStore
}

/** The SQLite implementation of every area, on one open (migrated) database. */
export function openSqliteStorage(db: Database): Storage {
  return { events: new SqliteEventStore(db) }
}
