import type { Database } from 'bun:sqlite'

/**
 * Calls `changed` within about `everyMs` of another connection committing to the database: another process
 * (`lectr admin-token reset`, `lectr keys create`, a second instance). `PRAGMA data_version` moves only for other
 * connections' commits, so the server's own event writes cost nothing here, and the request path is untouched.
 */
export function watchExternalWrites(db: Database, changed: () => void | Promise<void>, everyMs = 1000): { stop(): void } {
  const version = () => (db.query('PRAGMA data_version').get() as { data_version: number }).data_version
  let last = version()
  const failed = (err: unknown) => console.error(`lectr: reading changes made by another process failed: ${(err as Error).message}`)
  const timer = setInterval(() => {
    try {
      const now = version()
      if (now === last) return
      last = now
      void Promise.resolve(changed()).catch(failed)
    } catch (err) {
      failed(err)
    }
  }, everyMs)
  timer.unref?.()
  return { stop: () => clearInterval(timer) }
}
