/**
 * `lectr migrate-to-postgres`: everything of a SQLite database copied into a Postgres database that holds no Lectr
 * data, ids, keys (their hashes) and roll-ups kept as they are, in one transaction: a copy that fails leaves the
 * target as empty as it found it, so it can simply be run again.
 */
import type { Database } from 'bun:sqlite'
import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import { migratePostgres } from './migrations'
import { ensureEventPartitions } from './partitions'

/** Postgres takes at most 65,535 parameters per statement; a batch of rows stays below it. */
const MAX_PARAMETERS = 60_000

export interface TableCopied {
  table: string
  rows: number
}

/** The target already holds Lectr data: copying into it would mix two databases (exit 2). */
export class TargetNotEmpty extends Error {
  constructor(readonly tables: string[]) {
    super(`the Postgres database already holds Lectr data (in ${tables.join(', ')}): give an empty database`)
  }
}

/** The SQLite tables in creation order (a table comes after those it refers to), without SQLite's own. */
function sqliteTables(db: Database): string[] {
  const rows = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid").all() as { name: string }[]
  return rows.map((r) => r.name)
}

function sqliteColumns(db: Database, table: string): string[] {
  return (db.query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).all(table) as { name: string }[]).map((r) => r.name)
}

async function postgresColumns(sql: SQL): Promise<Map<string, Set<string>>> {
  const rows: { table_name: string; column_name: string }[] = await sql`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN pg_class t ON t.relname = c.table_name AND NOT t.relispartition
    WHERE c.table_schema = current_schema()`
  const out = new Map<string, Set<string>>()
  for (const r of rows) {
    if (!out.has(r.table_name)) out.set(r.table_name, new Set())
    out.get(r.table_name)!.add(r.column_name)
  }
  return out
}

/** The Lectr tables of the target that hold a row (its schema's own bookkeeping aside). */
export async function tablesWithData(sql: SQL): Promise<string[]> {
  const tables = [...(await postgresColumns(sql)).keys()].filter((t) => t !== 'schema_migrations').sort()
  const found: string[] = []
  for (const t of tables) {
    const [row] = await sql.unsafe(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(t)}) AS has`)
    if ((row as { has: boolean }).has) found.push(t)
  }
  return found
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Postgres text cannot hold U+0000 (SQLite can): stored as U+FFFD, as the event writer does. */
function toPostgres(value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value
}

/**
 * Copies every table of `db` into `sql` (migrated first), table by table in batches, all in one transaction.
 * Throws TargetNotEmpty when the target holds Lectr data, and an Error when its schema lacks a table or column of the
 * SQLite database (a SQLite database from a newer Lectr). `progress` hears each table once it is copied.
 */
export async function copySqliteToPostgres(db: Database, sql: SQL, opts: { progress?: (t: TableCopied) => void } = {}): Promise<TableCopied[]> {
  await migratePostgres(sql)
  const target = await postgresColumns(sql)
  const tables = sqliteTables(db)
  const plan = tables.map((table) => ({ table, columns: sqliteColumns(db, table) }))
  const missing = plan.flatMap(({ table, columns }) =>
    !target.has(table) ? [table] : columns.filter((c) => !target.get(table)!.has(c)).map((c) => `${table}.${c}`),
  )
  if (missing.length) throw new Error(`the Postgres schema has no ${missing.join(', ')}: the SQLite database is from a newer Lectr; copy it with that version`)
  const withData = await tablesWithData(sql)
  if (withData.length) throw new TargetNotEmpty(withData)

  // Partitions first, outside the copy's transaction (each creation takes the partition lock in its own).
  if (tables.includes('events')) {
    const days = (db.query('SELECT DISTINCT time - (time % ?) AS day FROM events').all(DAY_MS) as { day: number }[]).map((r) => r.day)
    await ensureEventPartitions(sql, days)
  }

  const copied: TableCopied[] = []
  await sql.begin(async (tx) => {
    for (const { table, columns } of plan) {
      const perBatch = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length))
      const into = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES `
      const select = db.query(`SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`)
      let rows = 0
      let batch: unknown[][] = []
      const flush = async () => {
        if (batch.length === 0) return
        const params: unknown[] = []
        const tuples = batch.map((row) => `(${row.map((v) => (params.push(toPostgres(v)), `$${params.length}`)).join(', ')})`)
        await tx.unsafe(into + tuples.join(', '), params)
        rows += batch.length
        batch = []
      }
      for (const row of select.iterate() as IterableIterator<Record<string, unknown>>) {
        batch.push(columns.map((c) => row[c]))
        if (batch.length >= perBatch) await flush()
      }
      await flush()
      const [count] = await tx.unsafe(`SELECT COUNT(*)::float8 AS n FROM ${quoteIdent(table)}`)
      if ((count as { n: number }).n !== rows) throw new Error(`${table}: ${rows} rows sent but ${(count as { n: number }).n} stored`)
      const done = { table, rows }
      copied.push(done)
      opts.progress?.(done)
    }
  })
  return copied
}
