/**
 * The storage a server runs on, from its settings: the SQLite file (`--db`, the default) or Postgres
 * (`--database-url`). The server sees one shape either way.
 */
import { redactDatabaseUrl, type Config } from '../config'
import { watchExternalWrites } from '../db/external-writes'
import { openDatabase } from '../db/open'
import { startCheckpointer } from './sqlite/checkpointer'
import { openSqliteStorage, refreshInForce, type Storage, type StorageOptions } from './index'
import { openPostgresStorage } from './postgres/index'

export interface OpenedStorage {
  storage: Storage
  /** where the event writer spills events beyond its bound (null: nowhere) */
  spillPath: string | null
  /** what the start banner says the database is (never a password) */
  describe: string
  /** Follows changes other processes make: what the proxy keeps in memory is read again; `adminTokenChanged` too. */
  watch(adminTokenChanged: () => void | Promise<void>): { stop(): void | Promise<void> }
  /** after the event writer has closed */
  close(): Promise<void>
}

/** Postgres with a spill file in the working directory unless `--spill-path` says where; SQLite beside its file. */
export function spillPathOf(config: Pick<Config, 'db' | 'databaseUrl' | 'spillPath'>): string | null {
  if (config.spillPath) return config.spillPath
  if (config.databaseUrl) return './lectr-events.spill.ndjson'
  return config.db === ':memory:' ? null : `${config.db}.spill.ndjson`
}

export async function openStorage(config: Config, opts: StorageOptions = {}): Promise<OpenedStorage> {
  const spillPath = spillPathOf(config)
  if (config.databaseUrl) {
    const pg = await openPostgresStorage(config.databaseUrl, opts)
    return {
      storage: pg,
      spillPath,
      describe: `Postgres ${redactDatabaseUrl(config.databaseUrl)}`,
      watch: (adminTokenChanged) => pg.watch(adminTokenChanged),
      close: () => pg.close(),
    }
  }
  const db = openDatabase(config.db)
  // Days kept in memory: the event log's retention and a little, as the events page counts back through every day with events.
  const storage = openSqliteStorage(db, { ...opts, rollups: { keepDays: Math.max(32, config.retentionDays + 2), ...opts.rollups } })
  const checkpointer = startCheckpointer(db, config.db)
  return {
    storage,
    spillPath,
    describe: config.db,
    // Changes made from a shell while this runs (`lectr admin-token reset`, `lectr keys create`) hold within ~1 s.
    watch: (adminTokenChanged) =>
      watchExternalWrites(db, async () => {
        await refreshInForce(storage)
        await adminTokenChanged()
      }),
    async close() {
      await checkpointer.stop()
      db.close()
    },
  }
}
