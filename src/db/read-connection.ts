import { Database } from 'bun:sqlite'

/**
 * A read-only connection of its own to `db`'s file, with a page cache of `cacheKiB`, for one long read (an export):
 * its pages are not kept in the server's 64 MiB cache, and they are freed when it is closed. `db` itself (and a
 * no-op close) when there is no file to open again (`:memory:`) or it cannot be opened: the read still works.
 */
export function openReadConnection(db: Database, cacheKiB: number): { db: Database; close: () => void } {
  const file = db.filename
  if (!file || file === ':memory:') return { db, close: () => {} }
  let reader: Database | null = null
  try {
    reader = new Database(file, { readonly: true, strict: true })
    reader.exec('PRAGMA busy_timeout = 5000')
    reader.exec(`PRAGMA cache_size = -${Math.max(1, Math.floor(cacheKiB))}`)
    const opened = reader
    return { db: opened, close: () => opened.close() }
  } catch {
    reader?.close()
    return { db, close: () => {} }
  }
}
