import type { Database } from 'bun:sqlite'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { openDatabase } from '../db/open'

/**
 * The database a command works on, which must exist already: a mistyped path would otherwise make a new, empty
 * database, and a credential written there would work nowhere. Opened like the server opens it (WAL, busy timeout,
 * migrations), so it works while the server runs. Throws a StartError with a plain message.
 */
export function openExistingDatabase(path: string): Database {
  if (path !== ':memory:' && !existsSync(path)) {
    throw new Error(`--db / LECTR_DB: there is no database at ${resolve(path)}: give the path the server uses (--db or LECTR_DB)`)
  }
  return openDatabase(path)
}
