/**
 * Everything Lectr stores, behind interfaces (one file per area beside this one), with SQLite the one
 * implementation (sqlite/). A second store (Postgres, issue 20) implements the same interfaces; the proxy, the
 * admin API and the dashboard see only these.
 */
import type { Database } from 'bun:sqlite'
import type { EventStore } from './events'
import type { OrgRepository } from './orgs'
import type { RollupStore } from './rollups'
import type { SettingsStore } from './settings'
import { SqliteEventStore } from './sqlite/events'
import { SqliteOrgs } from './sqlite/orgs'
import { SqliteRollupStore, type SqliteRollupOptions } from './sqlite/rollups'
import { SqliteSettings } from './sqlite/settings'

export interface Storage {
  /** the event log: the writer appends to it, reads list, browse and export */
  events: EventStore
  /** orgs, keys, Azure settings; `orgs.inForce` answers the proxy */
  orgs: OrgRepository
  /** sessions, the admin token, price overrides, routing versions; `*.inForce` answer the proxy */
  settings: SettingsStore
  /** the roll-ups: the one read API of the admin API, the dashboard, the recommendations and the dry run */
  rollups: RollupStore
}

export interface StorageOptions {
  /** what stored times are taken from (tests move it) */
  clock?: () => Date
  /** where a problem found in stored data is told (an invalid price override) */
  log?: (line: string) => void
  rollups?: SqliteRollupOptions
}

/** The storage of one SQLite database (already opened and migrated, src/db/open.ts). */
export function openSqliteStorage(db: Database, opts: StorageOptions = {}): Storage {
  return {
    events: new SqliteEventStore(db),
    orgs: new SqliteOrgs(db, opts.clock),
    settings: new SqliteSettings(db, opts),
    rollups: new SqliteRollupStore(db, opts.rollups),
  }
}

/**
 * Reads again what the proxy keeps in memory (keys, Azure settings, routing rules, price overrides): another
 * process or instance changed the database.
 */
export async function refreshInForce(storage: Storage): Promise<void> {
  await Promise.all([storage.orgs.refresh(), storage.settings.refresh()])
}
