/**
 * The multi-instance scenarios (issue 20) on two Lectr processes sharing one throwaway Postgres (`--database-url`),
 * plus the outage: Postgres halted for 4 s mid-traffic.
 */
import { afterAll } from 'bun:test'
import { SQL } from 'bun'
import { join } from 'node:path'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'
import { instanceScenarios } from './instances-scenarios'

let pg: Postgres | null = null
let n = 0
afterAll(async () => {
  await pg?.stop()
})

instanceScenarios('Postgres', async () => {
  pg ??= await startPostgres()
  const cluster = pg
  const url = await createDatabase(cluster, `instances_${++n}`)
  const sql = new SQL(url, { max: 1 })
  return {
    name: 'Postgres',
    env: (_i, own) => ({ LECTR_DATABASE_URL: url, LECTR_SPILL_PATH: join(own, 'spill.ndjson') }),
    async events() {
      return (await sql`SELECT id, status FROM events`) as { id: string; status: number }[]
    },
    halt: () => cluster.halt('fast'),
    resume: () => cluster.resume(),
    async close() {
      await sql.close()
    },
  }
}, { outage: true })
