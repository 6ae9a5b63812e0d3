import { Database } from 'bun:sqlite'
import { MIGRATIONS } from './migrations'

/** Opens (creating if needed) the database in WAL mode and brings its schema up to date. */
export function openDatabase(path: string): Database {
  const db = new Database(path, { create: true, strict: true })
  db.exec('PRAGMA journal_mode = WAL')
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec('PRAGMA busy_timeout = 5000')
  // The roll-up tables are updated in place on every batch: keep their pages in memory (64 MiB at most).
  // (The server moves WAL checkpoints to a Worker: src/events/checkpointer.ts.)
  db.exec('PRAGMA cache_size = -65536')
  db.exec('PRAGMA foreign_keys = ON')
  migrate(db)
  return db
}

export function migrate(db: Database): void {
  const current = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v])
      db.exec(`PRAGMA user_version = ${v + 1}`)
    })()
  }
}
