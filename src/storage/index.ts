/**
 * Lectr's storage, area by area, behind interfaces (`src/storage/<area>.ts`): SQLite (`src/storage/sqlite/`) is the
 * one implementation today, so another can follow without touching the proxy, the admin API or the views.
 */
import type { Database } from 'bun:sqlite'
import type { RollupStore } from './rollups'
import { SqliteRollupStore, type SqliteRollupOptions } from './sqlite/rollups'

export interface Storage {
  rollups: RollupStore
}

export interface SqliteStorageOptions {
  rollups?: SqliteRollupOptions
}

/** Every store over one SQLite connection. */
export function openSqliteStorage(db: Database, opts: SqliteStorageOptions = {}): Storage {
  return { rollups: new SqliteRollupStore(db, opts.rollups) }
}
