// Runs in a Worker: copies the WAL into the database file on its own connection and thread, so the event
// writer (on the request thread, with wal_autocheckpoint off) never stalls on a checkpoint.
import { Database } from 'bun:sqlite'

declare const self: Worker

let db: Database | null = null
let timer: ReturnType<typeof setInterval> | null = null

self.onmessage = (e: MessageEvent<{ path: string; everyMs: number } | 'stop'>) => {
  if (e.data === 'stop') {
    if (timer) clearInterval(timer)
    try {
      db?.exec('PRAGMA wal_checkpoint(PASSIVE)')
    } catch {}
    db?.close()
    db = null
    postMessage('stopped')
    return
  }
  db = new Database(e.data.path)
  db.exec('PRAGMA busy_timeout = 1000')
  timer = setInterval(() => {
    try {
      // PASSIVE: copies what it can without waiting for, or blocking, the writer and readers.
      db?.exec('PRAGMA wal_checkpoint(PASSIVE)')
    } catch {
      // busy now; the next tick tries again
    }
  }, e.data.everyMs)
}
