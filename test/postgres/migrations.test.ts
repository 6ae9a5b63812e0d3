import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import { connectPostgres } from '../../src/storage/postgres/connect'
import { migratePostgres, POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg.stop()
})

/** A new, empty database on the cluster, and a pool on it; closed by the test. */
let databases = 0
async function freshDatabase(): Promise<{ sql: SQL; url: string }> {
  const url = await createDatabase(pg, `m${++databases}`)
  return { sql: connectPostgres(url), url }
}

/** table -> its columns in order, for the tables in the public schema (partitions left out) */
async function postgresTables(sql: SQL): Promise<Record<string, string[]>> {
  const rows: { table_name: string; column_name: string }[] = await sql`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN pg_class t ON t.relname = c.table_name AND NOT t.relispartition
    WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position`
  const tables: Record<string, string[]> = {}
  for (const r of rows) (tables[r.table_name] ??= []).push(r.column_name)
  return tables
}

function sqliteTables(): Record<string, string[]> {
  const db = openDatabase(':memory:')
  const tables: Record<string, string[]> = {}
  const names = db.query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]
  for (const { name } of names) {
    tables[name] = (db.query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(name) as { name: string }[]).map((c) => c.name)
  }
  db.close()
  return tables
}

describe('Postgres migrations (src/storage/postgres/migrations.ts)', () => {
  test('an empty database gets every table and column SQLite has, in the same order, and records its version', async () => {
    const { sql } = await freshDatabase()
    expect(await migratePostgres(sql)).toEqual({ from: 0, to: POSTGRES_MIGRATIONS.length })
    const pgTables = await postgresTables(sql)
    const [row] = await sql`SELECT MAX(version)::int AS v FROM schema_migrations`
    await sql.close()
    const { schema_migrations: bookkeeping, ...lectrTables } = pgTables
    expect(bookkeeping).toEqual(['version', 'applied_at'])
    expect(row.v).toBe(POSTGRES_MIGRATIONS.length)
    const sqlite = sqliteTables()
    // rollups_daily is SQLite's migration 7, on the rollups branch; once merged it is in both (and this still holds).
    expect(Object.keys(lectrTables).sort()).toEqual([...new Set([...Object.keys(sqlite), 'rollups_daily'])].sort())
    for (const [table, columns] of Object.entries(sqlite)) expect({ table, columns: lectrTables[table] }).toEqual({ table, columns })
    expect(lectrTables.rollups_daily).toEqual(lectrTables.rollups_hourly!.map((c) => (c === 'hour' ? 'day' : c)))
  })

  test('a second start finds the schema current and changes nothing', async () => {
    const { sql } = await freshDatabase()
    await migratePostgres(sql)
    await sql`INSERT INTO orgs (id, name, created_at) VALUES ('o1', 'default', '2026-12-07T00:00:00.000Z')`
    expect(await migratePostgres(sql)).toEqual({ from: POSTGRES_MIGRATIONS.length, to: POSTGRES_MIGRATIONS.length })
    const rows = await sql`SELECT id FROM orgs`
    const [count] = await sql`SELECT COUNT(*)::int AS n FROM schema_migrations`
    await sql.close()
    expect(rows.map((r: { id: string }) => r.id)).toEqual(['o1'])
    expect(count.n).toBe(POSTGRES_MIGRATIONS.length)
  })

  test('two instances starting at once: one migrates, the other waits for it and finds the schema current', async () => {
    const { sql: a, url } = await freshDatabase()
    const b = connectPostgres(url)
    // A slow migration, so that the second surely arrives while the first holds the lock; it could not run twice.
    const slow = [`CREATE TABLE runs (backend INT); INSERT INTO runs VALUES (pg_backend_pid()); SELECT pg_sleep(0.5);`]
    const results = await Promise.all([migratePostgres(a, slow), migratePostgres(b, slow)])
    const runs = await a`SELECT COUNT(*)::int AS n FROM runs`
    await Promise.all([a.close(), b.close()])
    expect(results.map((r) => r.from).sort()).toEqual([0, 1])
    expect(results.every((r) => r.to === 1)).toBe(true)
    expect(runs[0].n).toBe(1)
  })

  test('two Lectr processes migrating one database at once both start, and the schema is made once', async () => {
    const { sql, url } = await freshDatabase()
    const fixture = join(import.meta.dir, 'fixtures', 'migrate.ts')
    const procs = [0, 1].map(() => Bun.spawn([process.execPath, fixture, url], { stdout: 'pipe', stderr: 'pipe' }))
    const outputs = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: await new Response(p.stdout).text(), err: await new Response(p.stderr).text() })))
    const [count] = await sql`SELECT COUNT(*)::int AS n FROM schema_migrations`
    await sql.close()
    expect(outputs.map((o) => [o.code, o.err])).toEqual([[0, ''], [0, '']])
    const n = POSTGRES_MIGRATIONS.length
    expect(outputs.map((o) => JSON.parse(o.out)).sort((x, y) => x.from - y.from)).toEqual([{ from: 0, to: n }, { from: n, to: n }])
    expect(count.n).toBe(n)
  })

  test('a migration that fails leaves the database as it was (every pending step is one transaction)', async () => {
    const { sql } = await freshDatabase()
    const broken = [`CREATE TABLE first_step (x INT);`, `CREATE TABLE second_step (x INT); SELECT no_such_function();`]
    await expect(migratePostgres(sql, broken)).rejects.toThrow('no_such_function')
    const [row] = await sql`SELECT to_regclass('first_step') IS NULL AS gone, to_regclass('schema_migrations') IS NULL AS no_table`
    await sql.close()
    expect(row).toEqual({ gone: true, no_table: true })
  })

  test('a database migrated by a newer Lectr is refused and left alone', async () => {
    const { sql } = await freshDatabase()
    await migratePostgres(sql)
    const newer = POSTGRES_MIGRATIONS.length + 1
    await sql`INSERT INTO schema_migrations (version, applied_at) VALUES (${newer}, 0)`
    await expect(migratePostgres(sql)).rejects.toThrow(`the database's schema is version ${newer}, newer than this Lectr's (${POSTGRES_MIGRATIONS.length}): upgrade Lectr`)
    const [row] = await sql`SELECT COUNT(*)::int AS n FROM schema_migrations`
    await sql.close()
    expect(row.n).toBe(newer)
  })
})

describe('connectPostgres (src/storage/postgres/connect.ts)', () => {
  test('takes postgres:// and postgresql:// URLs', async () => {
    for (const url of [pg.url, pg.url.replace('postgres://', 'postgresql://')]) {
      const sql = connectPostgres(url, { max: 1 })
      const [row] = await sql`SELECT current_setting('application_name') AS app`
      await sql.close()
      expect(row.app).toBe('lectr')
    }
  })

  test('refuses anything else before connecting, without printing a password', () => {
    expect(() => connectPostgres('mysql://lectr:s3cret@127.0.0.1/lectr')).toThrow('the database URL must start with postgres:// (got mysql://lectr:***@127.0.0.1/lectr)')
    expect(() => connectPostgres('lectr.db')).toThrow('the database URL is not a URL: expected postgres://user:password@host:port/database')
  })
})
