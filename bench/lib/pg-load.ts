// Loads a big SQLite log (bench/events/distribution.ts) into an empty Postgres database for the benches, with COPY:
// `sqlite3 -csv` streams each table into `psql \copy … FROM STDIN (FORMAT csv)`, one table after another, every row
// as it is (floats printed with 17 significant digits, which read back as the same double; NULL unquoted, '' quoted).
// `lectr migrate-to-postgres` does the same copy with INSERTs in one transaction at 14–20k rows/s (the 10M log: ~15M
// rows, well over 10 minutes, and a backend of 11 GB RSS here); this takes a few minutes. The schema comes from
// migratePostgres, the partitions from ensureEventPartitions, as Lectr makes them. Not for Lectr's users: no U+0000
// handling (bench logs have none), no checks beyond each table's row count.
import { Database } from 'bun:sqlite'
import { SQL } from 'bun'
import { DAY_MS } from '../../src/domain'
import { migratePostgres } from '../../src/storage/postgres/migrations'
import { ensureEventPartitions } from '../../src/storage/postgres/partitions'

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

export async function loadWithCopy(source: string, url: string, log: (l: string) => void): Promise<{ seconds: number; tables: { table: string; rows: number; seconds: number }[] }> {
  const started = performance.now()
  const db = new Database(source, { readonly: true })
  const tables = (db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'bench_meta' ORDER BY rowid").all() as { name: string }[]).map((r) => r.name)
  const plan = tables.map((table) => ({ table, columns: db.query('SELECT name, type FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string; type: string }[] }))
  const span = db.query('SELECT MIN(time) AS lo, MAX(time) AS hi FROM events').get() as { lo: number | null; hi: number | null }
  db.close()
  const sql = new SQL(url, { max: 1 })
  try {
    await migratePostgres(sql)
    if (span.lo !== null && span.hi !== null) {
      const days: number[] = []
      for (let day = span.lo - (span.lo % DAY_MS); day <= span.hi; day += DAY_MS) days.push(day)
      await ensureEventPartitions(sql, days)
    }
    const out: { table: string; rows: number; seconds: number }[] = []
    for (const { table, columns } of plan) {
      const t = performance.now()
      const select = columns.map((c) => (/REAL|FLOA|DOUB/i.test(c.type) ? `CASE WHEN ${quote(c.name)} IS NULL THEN NULL ELSE printf('%!.17g', ${quote(c.name)}) END` : quote(c.name))).join(', ')
      const dump = Bun.spawn(['sqlite3', '-readonly', '-csv', source, `SELECT ${select} FROM ${quote(table)}`], { stdout: 'pipe', stderr: 'pipe' })
      const copy = Bun.spawn(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c', `\\copy ${quote(table)} (${columns.map((c) => quote(c.name)).join(', ')}) FROM STDIN WITH (FORMAT csv)`], {
        stdin: dump.stdout,
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [dumped, copied] = await Promise.all([dump.exited, copy.exited])
      if (dumped !== 0 || copied !== 0) {
        throw new Error(`${table}: sqlite3 ${dumped} ${await new Response(dump.stderr).text()} psql ${copied} ${await new Response(copy.stderr).text()}`)
      }
      const [row] = await sql.unsafe(`SELECT COUNT(*)::float8 AS n FROM ${quote(table)}`)
      const rows = (row as { n: number }).n
      const lite = new Database(source, { readonly: true })
      const expected = (lite.query(`SELECT COUNT(*) AS n FROM ${quote(table)}`).get() as { n: number }).n
      lite.close()
      if (rows !== expected) throw new Error(`${table}: ${expected} rows in SQLite, ${rows} in Postgres`)
      const seconds = Number(((performance.now() - t) / 1000).toFixed(1))
      log(`${table}: ${rows} rows in ${seconds} s`)
      out.push({ table, rows, seconds })
    }
    return { seconds: Number(((performance.now() - started) / 1000).toFixed(1)), tables: out }
  } finally {
    await sql.close()
  }
}
