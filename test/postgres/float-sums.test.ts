/**
 * `floatSumSql`: Postgres sums float8 values as SQLite's SUM does (compensated: the exact sum, rounded once), where
 * Postgres's own SUM(float8) differs in the last bits. The same values summed on both, group by group.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { connectPostgres } from '../../src/storage/postgres/connect'
import { COST_SCALE, floatSumSql, LATENCY_SCALE } from '../../src/storage/postgres/rollup-spans'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})

let seed = 3
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

test('sums of costs and latencies from 1e-12 to 1e6 equal SQLite sums bit for bit; SUM(float8) does not', async () => {
  const rows: [number, number, number][] = []
  for (let i = 0; i < 20_000; i++) {
    const cost = [random() * 1e-7, Math.round(random() * 1e6) * 3e-10, 0.1 * (i % 7), random() * 50, 1e-12 * i, 0][i % 6]!
    rows.push([i % 200, cost, random() * 1e6 + 0.1])
  }
  const db = new Database(':memory:')
  db.exec('CREATE TABLE t (g INTEGER, c REAL, l REAL)')
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) insert.run(...r)
  })()
  const expected = db.query('SELECT g, SUM(c) AS c, SUM(l) AS l FROM t GROUP BY g ORDER BY g').all()
  db.close()

  const sql = connectPostgres(await createDatabase(pg, 'float_sums'), { max: 1 })
  try {
    await sql`CREATE TABLE t (g INT, c FLOAT8, l FLOAT8)`
    await sql.unsafe('INSERT INTO t SELECT * FROM unnest($1::int[], $2::float8[], $3::float8[])', [
      sql.array(rows.map((r) => r[0]), 'INT4'), sql.array(rows.map((r) => r[1]), 'FLOAT8'), sql.array(rows.map((r) => r[2]), 'FLOAT8'),
    ])
    const exact = await sql.unsafe(`SELECT g, ${floatSumSql('c', COST_SCALE)} AS c, ${floatSumSql('l', LATENCY_SCALE)} AS l FROM t GROUP BY g ORDER BY g`)
    expect([...exact]).toEqual(expected)
    const naive = await sql.unsafe('SELECT g, SUM(c) AS c, SUM(l) AS l FROM t GROUP BY g ORDER BY g')
    expect([...naive]).not.toEqual(expected)
    // no rows: 0, as COALESCE(SUM(...), 0) on SQLite
    const [none] = await sql.unsafe(`SELECT ${floatSumSql('c', COST_SCALE)} AS c FROM t WHERE false`)
    expect(none).toEqual({ c: 0 })
  } finally {
    await sql.close()
  }
})
