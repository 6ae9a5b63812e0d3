/**
 * `lectr migrate-to-postgres` (SPEC section 10): a SQLite database built by a real Lectr from mixed traffic (JSON,
 * streams, upstream errors, a client that left), with extra orgs, keys (one revoked), Azure settings, a routing
 * version, a price override and a session, copied into an empty Postgres: every table the same rows, every roll-up
 * column the same sums; a target holding Lectr data refused (exit 2) and left as it was.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { SQL } from 'bun'
import { runCli } from '../helpers/cli'
import { chatJson, FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { postAndLeaveBeforeAnswer, startLectr, type TestLectr } from '../helpers/lectr'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'

const up = new FakeUpstream()
let lectr: TestLectr
let pg: Postgres
let url: string
let tables: string[] = []

/** Every row of a table as comparable text, column by column, sorted. */
function canonical(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))).sort()
}

beforeAll(async () => {
  up.script = (req) => {
    const n = up.received.length
    if (n % 5 === 1) return sse(openaiChatStream(4, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }, 'gpt-4o-mini-2024-07-18'))
    if (n % 5 === 2) return chatJson({ status: 500 })
    if (n % 5 === 3) return new Promise<Response>((r) => setTimeout(() => r(chatJson()), 300))
    return chatJson({ model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 10 + n, completion_tokens: 3, total_tokens: 13 + n } })
  }
  ;[lectr, pg] = await Promise.all([startLectr(up), startPostgres()])
  for (let i = 0; i < 20; i++) {
    const res = await lectr.post('chat/completions', { model: i % 2 ? 'gpt-4o-mini' : 'gpt-4o', stream: i % 5 === 0, messages: [{ role: 'user', content: `hi ${i}` }] }, { 'x-lectr-feature': `f${i % 3}` })
    await res.text()
  }
  await postAndLeaveBeforeAnswer(lectr, up)
  const created = (await (await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'Team Two' }) })).json()) as { id: string; key: string }
  const extra = (await (await lectr.api(`orgs/${created.id}/keys`, { method: 'POST', body: '{"label":"ci"}' })).json()) as { id: string }
  expect((await lectr.api(`orgs/${created.id}/keys/${extra.id}`, { method: 'DELETE' })).status).toBe(200)
  expect((await lectr.api(`orgs/${created.id}/providers/azure`, { method: 'PUT', body: JSON.stringify({ endpoint: 'https://team-two.openai.azure.com', apiVersion: '2024-06-01' }) })).status).toBe(200)
  const storage = lectr.running.storage
  await storage.settings.routing.save(created.id, [])
  await storage.settings.priceOverrides.put('openai', 'team-model', { input: 1, output: 2 })
  await storage.settings.sessions.create(created.id, Date.now(), 'tag')
  // In the other org too, so both have events.
  await fetch(`${lectr.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-lectr-key': created.key, authorization: 'Bearer pk', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
  }).then((r) => r.text())
  await lectr.running.stop() // the SQLite instance stopped, every event written
}, 120_000)

afterAll(async () => {
  await lectr?.stop()
  await pg?.stop()
  up.stop()
})

describe('lectr migrate-to-postgres', () => {
  test('copies every table into an empty database: the same rows, the same sums of every roll-up column', async () => {
    url = await createDatabase(pg, 'migrated')
    const r = await runCli(['migrate-to-postgres', '--db', lectr.dbPath, '--database-url', url])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^lectr: copying .* into postgres:\/\/lectr@127\.0\.0\.1:\d+\/migrated\n/)
    expect(r.out).toMatch(/lectr: copied \d+ tables, \d+ rows, in [\d.]+ s; start Lectr with --database-url\n$/)

    const db = new Database(lectr.dbPath, { readonly: true })
    const sql = new SQL(url, { max: 1 })
    try {
      tables = (db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'").all() as { name: string }[]).map((t) => t.name)
      for (const t of ['orgs', 'org_keys', 'azure_settings', 'events', 'rollups_hourly', 'model_rollups_daily', 'latency_hourly', 'sessions', 'meta', 'price_overrides', 'routing_versions', 'replay_rollups_daily']) {
        expect(tables).toContain(t)
      }
      for (const table of tables) {
        const lite = db.query(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]
        expect(r.out).toContain(`  ${table}: ${lite.length} rows\n`)
        const columns = (db.query('SELECT name, type FROM pragma_table_info(?)').all(table) as { name: string; type: string }[])
        // Postgres's BIGINT and SMALLINT come back as strings and numbers: read every number as float8, every text as text.
        const select = columns.map((c) => (/INT|REAL/.test(c.type) ? `"${c.name}"::float8 AS "${c.name}"` : `"${c.name}"`)).join(', ')
        const pgRows = (await sql.unsafe(`SELECT ${select} FROM "${table}"`)) as Record<string, unknown>[]
        expect({ table, rows: pgRows.length }).toEqual({ table, rows: lite.length })
        expect(canonical(pgRows.map((row) => ({ ...row })))).toEqual(canonical(lite))
        for (const c of columns.filter((c) => /INT|REAL/.test(c.type))) {
          const [a] = db.query(`SELECT TOTAL("${c.name}") AS s FROM "${table}"`).all() as { s: number }[]
          const [b] = (await sql.unsafe(`SELECT COALESCE(SUM("${c.name}"::float8), 0) AS s FROM "${table}"`)) as { s: number }[]
          expect({ column: `${table}.${c.name}`, sum: b!.s }).toEqual({ column: `${table}.${c.name}`, sum: expect.closeTo(a!.s, 8) as never })
        }
      }
      const [events] = db.query('SELECT COUNT(*) AS n FROM events').all() as { n: number }[]
      expect(events!.n).toBeGreaterThanOrEqual(22)
      const [rollups] = db.query('SELECT SUM(requests) AS n FROM rollups_hourly').all() as { n: number }[]
      expect(rollups!.n).toBe(events!.n)
    } finally {
      db.close()
      await sql.close()
    }
  }, 60_000)

  test('a database that holds Lectr data: exit 2, nothing copied, the target as it was', async () => {
    const again = await runCli(['migrate-to-postgres', '--db', lectr.dbPath, '--database-url', url])
    expect(again.code).toBe(2)
    expect(again.err).toContain('already holds Lectr data (in ')
    expect(again.err).toContain('nothing was copied')
    const sql = new SQL(url, { max: 1 })
    const db = new Database(lectr.dbPath, { readonly: true })
    try {
      for (const table of ['events', 'orgs', 'rollups_hourly']) {
        const [lite] = db.query(`SELECT COUNT(*) AS n FROM ${table}`).all() as { n: number }[]
        const [row] = (await sql.unsafe(`SELECT COUNT(*)::int AS n FROM ${table}`)) as { n: number }[]
        expect(row!.n).toBe(lite!.n)
      }
    } finally {
      db.close()
      await sql.close()
    }
  }, 30_000)

  test('wrong invocations: exit 2 with the usage, the password never printed; Postgres unreachable: exit 1', async () => {
    const secret = 'pw-never-shown-42'
    const noUrl = await runCli(['migrate-to-postgres', '--db', lectr.dbPath])
    expect(noUrl.code).toBe(2)
    expect(noUrl.err).toContain('--database-url (or LECTR_DATABASE_URL) is required')
    const badUrl = await runCli(['migrate-to-postgres', '--db', lectr.dbPath, '--database-url', `mysql://u:${secret}@h/db`])
    expect(badUrl.code).toBe(2)
    expect(badUrl.err + badUrl.out).not.toContain(secret)
    const noDb = await runCli(['migrate-to-postgres', '--db', `${lectr.dir}/nope.db`, '--database-url', url])
    expect(noDb.code).toBe(2)
    expect(noDb.err).toContain('there is no database at')
    const away = await runCli(['migrate-to-postgres', '--db', lectr.dbPath], { LECTR_DATABASE_URL: `postgres://u:${secret}@127.0.0.1:9/db` })
    expect(away.code).toBe(1)
    expect(away.err).toContain('the copy failed and nothing of it was kept in postgres://u:***@127.0.0.1:9/db')
    expect(away.err + away.out).not.toContain(secret)
  }, 60_000)
})
