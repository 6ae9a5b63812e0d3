/**
 * The multi-instance scenarios on two processes sharing one SQLite file (WAL; changes seen through data_version):
 * the same guarantees as on Postgres, bar the outage. Runs the harness that instances.pending.ts runs on Postgres.
 */
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { instanceScenarios } from './instances-scenarios'

instanceScenarios('SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-shared-sqlite-'))
  const path = join(dir, 'lectr.db')
  return {
    name: 'SQLite',
    env: (_i, own) => ({ LECTR_DB: path, LECTR_SPILL_PATH: join(own, 'spill.ndjson') }),
    async events() {
      const db = new Database(path, { readonly: true })
      try {
        return db.query('SELECT id, status FROM events').all() as { id: string; status: number }[]
      } finally {
        db.close()
      }
    },
    async close() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}, { outage: false })
