/**
 * openPostgresStorage (src/storage/postgres/index.ts): two instances opening one empty database together migrate it
 * once; today's and tomorrow's partitions exist; a key made through one is in force in the other within 2 s through
 * `watch`, and so is the admin token. (A database of a newer Lectr: wiring.test.ts.)
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { DAY_MS } from '../../src/domain'
import { openPostgresStorage, type PostgresStorage } from '../../src/storage/postgres/index'
import { eventPartitionDays } from '../../src/storage/postgres/partitions'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'

let pg: Postgres
let url: string
let a: PostgresStorage
let b: PostgresStorage

beforeAll(async () => {
  pg = await startPostgres()
  url = await createDatabase(pg, 'opened')
  ;[a, b] = await Promise.all([openPostgresStorage(url, { log: () => {} }), openPostgresStorage(url, { log: () => {} })])
}, 60_000)

afterAll(async () => {
  await a?.close()
  await b?.close()
  await pg?.stop()
})

test('opened together: migrated once, partitions for today and tomorrow', async () => {
  const sql = new SQL(url, { max: 1 })
  try {
    const rows = (await sql`SELECT version FROM schema_migrations ORDER BY version`) as { version: number }[]
    expect(rows.map((r) => r.version)).toEqual(rows.map((_, i) => i + 1))
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS
    expect(await eventPartitionDays(sql)).toEqual(expect.arrayContaining([today, today + DAY_MS]))
  } finally {
    await sql.close()
  }
})

test('a key made through one store is in force in the other within 2 s; the admin token change is told', async () => {
  let told = 0
  const watchA = a.watch(() => void told++)
  const watchB = b.watch(() => {})
  try {
    const created = await b.orgs.create('Watched')
    expect(created).not.toBeNull()
    const start = Date.now()
    while (a.orgs.inForce.authenticate(created!.key) !== created!.org.id) {
      expect(Date.now() - start).toBeLessThan(2000)
      await Bun.sleep(50)
    }
    await b.settings.adminToken.reset()
    const since = Date.now()
    while (told === 0) {
      expect(Date.now() - since).toBeLessThan(2000)
      await Bun.sleep(50)
    }
  } finally {
    await watchA.stop()
    await watchB.stop()
  }
})
