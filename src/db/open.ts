import { Database } from 'bun:sqlite'
import { accessSync, constants, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { StartError } from '../start-error'
import { VERSION } from '../version'
import { MIGRATIONS } from './migrations'

const SETTING = '--db / LECTR_DB'

/**
 * Opens (creating the file if needed, never a directory) the database in WAL mode and brings its schema up to
 * date. A path that cannot be opened is a StartError naming the setting.
 */
export function openDatabase(path: string): Database {
  checkDatabasePath(path)
  let db: Database | null = null
  try {
    db = new Database(path, { create: true, strict: true })
    // Before anything is set or migrated: a database from a newer Lectr is left exactly as it is.
    refuseNewer(db, path)
    db.exec('PRAGMA journal_mode = WAL')
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('PRAGMA busy_timeout = 5000')
    // The roll-up tables are updated in place on every batch: keep their pages in memory (64 MiB at most).
    // (The server moves WAL checkpoints to a Worker: src/storage/sqlite/checkpointer.ts.)
    db.exec('PRAGMA cache_size = -65536')
    db.exec('PRAGMA foreign_keys = ON')
    migrate(db)
    return db
  } catch (err) {
    db?.close()
    if (err instanceof StartError) throw err
    throw new StartError(databaseProblem(path, err as Error & { code?: string }))
  }
}

/** What SQLite would only say as "unable to open database file", said before it tries. */
function checkDatabasePath(path: string): void {
  if (path === ':memory:') return
  const full = resolve(path)
  const dir = dirname(full)
  const look = (p: string) => {
    try {
      return statSync(p, { throwIfNoEntry: false })
    } catch (err) {
      throw new StartError(`${SETTING}: cannot look at ${p} (${(err as { code?: string }).code ?? (err as Error).message}): choose another path`)
    }
  }
  const dirStat = look(dir)
  if (!dirStat) throw new StartError(`${SETTING}: the directory ${dir} does not exist (Lectr does not create directories): create it or choose another path`)
  if (!dirStat.isDirectory()) throw new StartError(`${SETTING}: ${dir} is not a directory: choose another path`)
  const fileStat = look(full)
  if (fileStat?.isDirectory()) throw new StartError(`${SETTING}: ${full} is a directory, not a database file: give a file path such as ${full}/lectr.db`)
  // SQLite needs to create the file (first start) and its -wal and -shm files (every start) next to it.
  try {
    accessSync(dir, constants.W_OK)
  } catch {
    throw new StartError(`${SETTING}: the directory ${dir} is not writable (the database and its -wal file live there): make it writable or choose another path`)
  }
}

function databaseProblem(path: string, err: Error & { code?: string }): string {
  const full = resolve(path)
  if (err.code === 'SQLITE_NOTADB') return `${SETTING}: ${full} is not a SQLite database: choose another path (Lectr creates the file on first start)`
  if (err.code?.startsWith('SQLITE_CANTOPEN')) return `${SETTING}: cannot open or create ${full} (is its directory writable?): choose another path`
  if (err.code?.startsWith('SQLITE_READONLY')) return `${SETTING}: ${full} is read-only: make it writable or choose another path`
  return `${SETTING}: cannot open ${full}: ${err.message}`
}

/** The schema version a database records (PRAGMA user_version): how many migrations it has had. */
function schemaVersion(db: Database): number {
  return (db.query('PRAGMA user_version').get() as { user_version: number }).user_version
}

/** An older binary never opens a newer database: it would not know its tables, and could not undo what it wrote. */
function refuseNewer(db: Database, path: string): void {
  const version = schemaVersion(db)
  if (version <= MIGRATIONS.length) return
  throw new StartError(
    `${SETTING}: ${resolve(path)} was written by a newer Lectr (schema ${version}; Lectr ${VERSION} knows schemas up to ${MIGRATIONS.length}): ` +
      'run that newer Lectr, or restore a backup taken with this one. The database was not changed.',
  )
}

export function migrate(db: Database): void {
  const current = schemaVersion(db)
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v])
      db.exec(`PRAGMA user_version = ${v + 1}`)
    })()
  }
}
