/**
 * The wiring of issue 20 that holds whatever the Postgres stores do: the setting and its problems (never the
 * password), a start against a Postgres that cannot be reached (exit 2, one plain line), and the admin API and
 * dashboard answering 503 at once, in their shapes, when the database is away, while the proxy serves on.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { parseConfig } from '../../src/config'
import { postgresFailure } from '../../src/storage/postgres/errors'
import { openPostgresStorage } from '../../src/storage/postgres/index'
import { createDatabase } from '../helpers/postgres'
import { spillPathOf } from '../../src/storage/open'
import { storageUnavailable } from '../../src/storage/unavailable'
import { runCli } from '../helpers/cli'
import { chatJson, FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { startPostgres, type Postgres } from '../helpers/postgres'

const SECRET = 'pw-s3cret-never-printed'

describe('--database-url / LECTR_DATABASE_URL', () => {
  test('a postgres:// URL from the flag or the environment; unset by default', () => {
    const flag = parseConfig(['--database-url', `postgres://lectr:${SECRET}@db.internal:5432/lectr`], {})
    expect(flag.ok && flag.config.databaseUrl).toBe(`postgres://lectr:${SECRET}@db.internal:5432/lectr`)
    const env = parseConfig([], { LECTR_DATABASE_URL: 'postgresql://db/lectr' })
    expect(env.ok && env.config.databaseUrl).toBe('postgresql://db/lectr')
    const none = parseConfig([], {})
    expect(none.ok && none.config.databaseUrl).toBeNull()
  })

  test('a URL of another scheme, or no URL at all, is a problem naming the setting, without the password', () => {
    const mysql = parseConfig(['--database-url', `mysql://lectr:${SECRET}@db/lectr`], {})
    expect(mysql.ok).toBe(false)
    const problems = mysql.ok ? [] : mysql.errors
    expect(problems).toEqual(['--database-url: expected postgres://user:password@host:port/database (got a mysql: URL)'])
    const garbage = parseConfig([], { LECTR_DATABASE_URL: `lectr:${SECRET} db` })
    expect(garbage.ok ? [] : garbage.errors).toEqual(['LECTR_DATABASE_URL: expected postgres://user:password@host:port/database (got a lectr: URL)'])
    const spaces = parseConfig([], { LECTR_DATABASE_URL: `${SECRET} with spaces` })
    expect(spaces.ok ? [] : spaces.errors).toEqual(['LECTR_DATABASE_URL: expected postgres://user:password@host:port/database (got something that is not a URL)'])
  })

  test('the spill file: beside the SQLite file; in the working directory with Postgres; --spill-path wins', () => {
    expect(spillPathOf({ db: '/var/lib/lectr/lectr.db', databaseUrl: null, spillPath: null })).toBe('/var/lib/lectr/lectr.db.spill.ndjson')
    expect(spillPathOf({ db: ':memory:', databaseUrl: null, spillPath: null })).toBeNull()
    expect(spillPathOf({ db: './lectr.db', databaseUrl: 'postgres://db/lectr', spillPath: null })).toBe('./lectr-events.spill.ndjson')
    expect(spillPathOf({ db: './lectr.db', databaseUrl: 'postgres://db/lectr', spillPath: '/srv/a.ndjson' })).toBe('/srv/a.ndjson')
    const parsed = parseConfig(['--spill-path', '/srv/a.ndjson'], {})
    expect(parsed.ok && parsed.config.spillPath).toBe('/srv/a.ndjson')
  })
})

describe('a start whose database cannot be used', () => {
  test('Postgres not listening: exit 2, one plain line naming the setting, the URL without its password, no credential', async () => {
    // Port 9 on loopback: nothing listens there, the connection is refused at once.
    const r = await runCli(['--port', '0', '--host', '127.0.0.1', '--database-url', `postgres://lectr:${SECRET}@127.0.0.1:9/lectr`])
    expect(r.code).toBe(2)
    expect(r.err).toContain('--database-url / LECTR_DATABASE_URL: cannot reach Postgres at postgres://lectr:***@127.0.0.1:9/lectr')
    expect(r.err + r.out).not.toContain(SECRET)
    expect(r.err).not.toMatch(/\n\s+at /) // no stack trace
    expect(r.out).not.toContain('key')
  }, 30_000)

  test('a URL of another scheme: exit 2 before anything is tried, without the password', async () => {
    const r = await runCli(['--database-url', `mysql://lectr:${SECRET}@127.0.0.1:9/lectr`])
    expect(r.code).toBe(2)
    expect(r.err).toContain('--database-url: expected postgres://')
    expect(r.err + r.out).not.toContain(SECRET)
  }, 30_000)
})

describe('the database away while the server runs', () => {
  let pg: Postgres
  let sql: SQL
  let lectr: TestLectr
  const up = new FakeUpstream()
  up.script = () => chatJson()

  beforeAll(async () => {
    pg = await startPostgres()
    sql = new SQL(pg.url, { max: 1, connectionTimeout: 2 })
    await sql`SELECT 1`
    lectr = await startLectr(up)
  }, 60_000)
  afterAll(async () => {
    await lectr?.stop()
    await sql?.close()
    await pg?.stop()
    up.stop()
  })

  test('reads that reach a halted Postgres answer 503 at once in the admin API shape and as a dashboard page; health stays 200; the proxy serves', async () => {
    await pg.halt('fast')
    // A store's read against the halted server: the very error Bun gives (what the Postgres stores would throw).
    const realError = await sql`SELECT 1`.then(() => null, (err: unknown) => err)
    expect(storageUnavailable(realError)).toBe(true)
    const down = () => sql`SELECT 1`.then(() => { throw new Error('Postgres answered while halted') })
    const storage = lectr.running.storage
    storage.orgs.list = down as never
    storage.settings.sessions.find = down as never

    const api = await lectr.api('orgs')
    expect(api.status).toBe(503)
    expect(api.headers.get('retry-after')).toBe('5')
    expect(await api.json()).toEqual({
      error: { message: expect.stringContaining('database cannot be reached'), type: 'server_error', code: 'lectr_database_unavailable' },
    })

    const page = await fetch(`${lectr.url}/`, { headers: { cookie: 'lectr_session=abc' }, redirect: 'manual' })
    expect(page.status).toBe(503)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(await page.text()).toContain('database cannot be reached')

    const health = await fetch(`${lectr.url}/api/health`)
    expect(health.status).toBe(200)
    const proxied = await lectr.post('chat/completions', { model: 'gpt-4o-mini', messages: [] })
    expect(proxied.status).toBe(200)
    await pg.resume()
  }, 30_000)

  test('event writes failing as on a halted Postgres: the proxy serves, health says degraded, reads answer at once; back: every event written, ok', async () => {
    const events = lectr.running.storage.events
    const append = events.append.bind(events)
    const isEventFault = events.isEventFault.bind(events)
    // Each batch first asks Postgres, as the Postgres store's transaction does: it fails as that store's would, and
    // is classified as that store does (PG.md: an event's fault only when Postgres rejects the statement).
    events.append = async (batch) => {
      await sql`SELECT 1`
      return await append(batch)
    }
    events.isEventFault = (err) => postgresFailure(err) === 'rejected'
    const before = lectr.running.writer.written
    let halted = false
    try {
      await pg.halt('fast')
      halted = true
      const ids: string[] = []
      for (let i = 0; i < 5; i++) {
        const res = await lectr.post('chat/completions', { model: 'gpt-4o-mini', messages: [] })
        expect(res.status).toBe(200)
        ids.push(res.headers.get('x-lectr-request-id')!)
        await res.text()
      }
      let health: { status: string; reason?: string; events?: { queued: number } } = { status: '' }
      for (let i = 0; i < 100 && health.status !== 'degraded'; i++) {
        await Bun.sleep(50)
        health = (await (await fetch(`${lectr.url}/api/health`)).json()) as typeof health
      }
      expect(health.status).toBe('degraded')
      expect(health.reason).toContain('the event log cannot be written')
      expect(health.events!.queued).toBe(5)
      // A read does not wait for a database that may not come back: it answers with what is stored.
      const listed = await lectr.api('orgs/default/events?limit=100')
      expect(listed.status).toBe(200)
      await pg.resume()
      halted = false
      for (let i = 0; i < 200 && health.status !== 'ok'; i++) {
        await Bun.sleep(50)
        health = (await (await fetch(`${lectr.url}/api/health`)).json()) as typeof health
      }
      expect(health.status).toBe('ok')
      expect(lectr.running.writer.written - before).toBe(5)
      const stored = ((await (await lectr.api('orgs/default/events?limit=100')).json()) as { events: { id: string }[] }).events.map((e) => e.id)
      for (const id of ids) expect(stored).toContain(id)
    } finally {
      events.append = append
      events.isEventFault = isEventFault
      if (halted) await pg.resume()
    }
  }, 60_000)

  test('a database of a newer Lectr is refused at start with one line naming the setting, before any store is built', async () => {
    const newer = await createDatabase(pg, 'newer')
    const admin = new SQL(newer, { max: 1 })
    await admin`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`
    await admin`INSERT INTO schema_migrations VALUES (999, 0)`
    await admin.close()
    const err = await openPostgresStorage(newer).then(() => null, (e: Error) => e)
    expect(err?.name).toBe('StartError')
    expect(err?.message).toStartWith(`--database-url / LECTR_DATABASE_URL: cannot use the database at ${newer}: `)
    expect(err?.message).toContain('newer than this Lectr')
  }, 30_000)

  test('an error of the SQLite file or of the code is not taken for an outage', () => {
    expect(storageUnavailable(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY', errno: 5 }))).toBe(false)
    expect(storageUnavailable(new TypeError('x is undefined'))).toBe(false)
    expect(storageUnavailable(Object.assign(new Error('syntax error'), { code: 'ERR_POSTGRES_SERVER_ERROR', errno: '42601' }))).toBe(false)
  })
})
