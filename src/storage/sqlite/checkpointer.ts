import type { Database } from 'bun:sqlite'
import { log } from '../../log'

/**
 * Moves WAL checkpoints off the request thread: the writer's connection stops checkpointing on commit, and a
 * Worker checkpoints the file every `everyMs` instead. Without it, every ~1,000 pages a commit on the request
 * thread copies the WAL back into the database and a request waits for it. `stop` checkpoints once more.
 * Not for ':memory:' databases (nothing to checkpoint).
 */
export function startCheckpointer(db: Database, path: string, everyMs = 1000): { stop(): Promise<void> } {
  if (path === ':memory:' || path === '') return { stop: async () => {} }
  db.exec('PRAGMA wal_autocheckpoint = 0')
  // In the compiled binary the worker is embedded as its own entry point, named relative to src/ (see the Makefile).
  const compiled = Bun.main.startsWith('/$bunfs/') || Bun.main.startsWith('B:/~BUN/')
  const worker = new Worker(compiled ? './storage/sqlite/checkpoint-worker.ts' : new URL('./checkpoint-worker.ts', import.meta.url).href)
  worker.onerror = (e) => log.error('error', `lectr: the WAL checkpoint worker failed (${e.message}); SQLite checkpoints on commit instead`)
  worker.postMessage({ path, everyMs })
  // The worker must not keep the process alive on its own.
  worker.unref()
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          worker.terminate()
          resolve()
        }
        const fallback = setTimeout(done, 2000)
        worker.onmessage = () => {
          clearTimeout(fallback)
          done()
        }
        worker.postMessage('stop')
      }),
  }
}
