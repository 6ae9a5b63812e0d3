import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readdirSync, readlinkSync } from 'node:fs'
import { eventExportStream } from '../../src/operations/export'
import { ALL_EVENTS, type EventFilter } from '../../src/storage/events'
import { sqliteExportPages } from '../../src/storage/sqlite/event-export'
import { openReadConnection } from '../../src/db/read-connection'
import { csvCell } from '../../src/events/csv'
import type { LectrEvent } from '../../src/events/types'
import { Client } from '../dashboard/_client'
import { chatJson, FakeUpstream } from '../helpers/fake-upstream'
import { answerOf, errorOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'

let up: FakeUpstream
let lectr: TestLectr
const FEATURES = ['search', 'chat, "quoted"', '=HYPERLINK("http://evil")', '+1', '@sum', 'line\nbreak', null]
const N = 42

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (req, rec) => {
    const body = JSON.parse(rec.body)
    return chatJson({ model: body.model, status: body.model === 'gpt-4o' ? 500 : 200 })
  }
  lectr = await startLectr(up)
  for (let i = 0; i < N; i++) {
    const feature = FEATURES[i % FEATURES.length]
    const res = await lectr.post('chat/completions', { model: i % 3 === 0 ? 'gpt-4o' : 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, {
      ...(feature ? { 'x-lectr-feature': feature.replace('\n', ' ') } : {}),
      ...(i % 4 === 0 ? { 'x-lectr-task': 'extraction' } : {}),
    })
    await res.arrayBuffer()
  }
  lectr.running.writer.flush()
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

/** Every event the events API lists for these filters, page by page. */
async function apiEvents(query: string): Promise<LectrEvent[]> {
  const all: LectrEvent[] = []
  let cursor = ''
  for (;;) {
    const res = await lectr.api(`orgs/default/events?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(res.status).toBe(200)
    const page = await answerOf(res, 'events')
    all.push(...page.events)
    if (!page.next) return all
    cursor = page.next
  }
}

/** An RFC 4180 reader, enough for the test: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"', i++)
      else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') (row.push(cell), (cell = ''))
    else if (c === '\r' && text[i + 1] === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''), i++)
    else cell += c
  }
  return rows
}

const FILTERS = ['', '&provider=openai', '&model=gpt-4o', '&feature=search', '&status=500', '&task=extraction', '&model=gpt-4o-mini&feature=%2B1', '&feature=nothing-matches']

describe('GET /api/orgs/:org/events/export', () => {
  test('NDJSON: one line per event, equal record by record to the events API, for each filter', async () => {
    for (const filter of FILTERS) {
      const res = await lectr.api(`orgs/default/events/export?format=ndjson${filter}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('application/x-ndjson')
      const text = await res.text()
      const lines = text === '' ? [] : text.trimEnd().split('\n').map((l) => JSON.parse(l))
      const api = await apiEvents(filter)
      expect(lines).toEqual(api)
      if (filter === '') expect(lines.length).toBe(N)
      if (filter.includes('nothing')) expect(lines.length).toBe(0)
    }
  })

  test('since/until filter like the events API', async () => {
    const all = await apiEvents('')
    const mid = all[Math.floor(all.length / 2)].time
    for (const q of [`&since=${mid}`, `&until=${mid}`, `&since=${Date.parse(mid) - 1}&until=${mid}`]) {
      const text = await (await lectr.api(`orgs/default/events/export?format=ndjson${q}`)).text()
      const lines = text === '' ? [] : text.trimEnd().split('\n').map((l) => JSON.parse(l))
      expect(lines).toEqual(await apiEvents(q))
    }
  })

  test('CSV: the header is the event JSON field names; each row matches the events API; formulas are neutralised', async () => {
    const res = await lectr.api('orgs/default/events/export?format=csv')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/csv')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="lectr-events-default-\d{8}T\d{6}Z\.csv"$/)
    const rows = parseCsv(await res.text())
    const api = await apiEvents('')
    expect(rows[0]).toEqual(Object.keys(api[0]))
    expect(rows.length).toBe(api.length + 1)
    rows.slice(1).forEach((row, i) => {
      const e = api[i]
      expect(row).toEqual(Object.values(e).map((v) => (v === null ? '' : typeof v === 'string' && /^[=+\-@]/.test(v) ? `'${v}` : String(v))))
    })
    const features = new Set(rows.slice(1).map((r) => r[rows[0]!.indexOf('feature')]))
    expect(features.has(`'=HYPERLINK("http://evil")`)).toBe(true)
    expect(features.has(`'+1`)).toBe(true)
    expect(features.has(`'@sum`)).toBe(true)
    expect(features.has('chat, "quoted"')).toBe(true)
  })

  test('bad input: 400 naming each problem, 404 for an unknown org, 401 without the admin token', async () => {
    const bad = await lectr.api('orgs/default/events/export?format=xlsx&provider=nope&since=yesterday')
    expect(bad.status).toBe(400)
    const body = await errorOf(bad)
    expect(body.error.code).toBe('lectr_invalid_query')
    expect(body.error.problems?.join('\n')).toContain('format')
    expect(body.error.problems?.join('\n')).toContain('provider')
    expect(body.error.problems?.join('\n')).toContain('since')
    const missing = await lectr.api('orgs/nobody/events/export?format=csv')
    expect(missing.status).toBe(404)
    const anon = await fetch(`${lectr.url}/api/orgs/default/events/export?format=csv`)
    expect(anon.status).toBe(401)
  })

  test('pull-based: a step of rows is read only when the reader takes the last one (memory flat)', async () => {
    const db = new Database(lectr.dbPath, { readonly: true })
    try {
      let steps = 0
      const all: EventFilter = { provider: null, model: null, feature: null, task: null, status: null, statusClass: null, since: null, until: null }
      const reader = eventExportStream(sqliteExportPages(db, 'default', all, { scanRows: 5, onStep: () => steps++ }), 'ndjson').getReader()
      const first = await reader.read()
      expect(new TextDecoder().decode(first.value!).trimEnd().split('\n').length).toBe(5)
      await Bun.sleep(20)
      expect(steps).toBe(1)
      let lines = 5
      for (;;) {
        const r = await reader.read()
        if (r.done) break
        lines += new TextDecoder().decode(r.value).trimEnd().split('\n').length
      }
      expect(lines).toBe(N)
      expect(steps).toBe(Math.ceil(N / 5) + (N % 5 === 0 ? 1 : 0))
    } finally {
      db.close()
    }
  })

  test('a reader pulling as fast as it can still lets other work run between steps (a proxied request never waits for a whole export)', async () => {
    const db = new Database(lectr.dbPath, { readonly: true })
    try {
      const order: string[] = []
      const reader = eventExportStream(sqliteExportPages(db, 'default', ALL_EVENTS, { scanRows: 5, onStep: () => order.push('step') }), 'ndjson').getReader()
      await reader.read()
      // Work that arrived while the first step ran (as a request does): it must run before the steps go on.
      setImmediate(() => order.push('other'))
      for (;;) if ((await reader.read()).done) break
      expect(order.indexOf('other')).toBeGreaterThan(0)
      expect(order.indexOf('other')).toBeLessThan(3)
      expect(order.filter((o) => o === 'step').length).toBe(Math.ceil(N / 5) + (N % 5 === 0 ? 1 : 0))
    } finally {
      db.close()
    }
  })

  test("an export reads on a read-only connection of its own with a small page cache, not the server's 64 MiB one", () => {
    const server = new Database(lectr.dbPath)
    const own = openReadConnection(server, 2048)
    try {
      expect(own.db).not.toBe(server)
      expect((own.db.query('PRAGMA cache_size').get() as { cache_size: number }).cache_size).toBe(-2048)
      expect((own.db.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(N)
      expect(() => own.db.exec("DELETE FROM events WHERE org_id = 'default'")).toThrow(/readonly/i)
    } finally {
      own.close()
      server.close()
    }
    // Nothing to open again: the export reads on the connection it was given.
    const memory = new Database(':memory:')
    const same = openReadConnection(memory, 2048)
    expect(same.db).toBe(memory)
    same.close()
    expect(memory.query('SELECT 1 AS one').get()).toEqual({ one: 1 })
    memory.close()
  })

  test("the export's connection is closed once: at the end, when the client leaves, and after a failed read", async () => {
    const all: EventFilter = { provider: null, model: null, feature: null, task: null, status: null, statusClass: null, since: null, until: null }
    const read = async (leaveAfterFirst: boolean) => {
      const own = openReadConnection(new Database(lectr.dbPath, { readonly: true }), 2048)
      let closes = 0
      const reader = eventExportStream(sqliteExportPages(own.db, 'default', all, { scanRows: 5 }), 'ndjson', { close: () => (closes++, own.close()) }).getReader()
      await reader.read()
      if (leaveAfterFirst) await reader.cancel()
      else while (!(await reader.read()).done);
      expect(closes).toBe(1)
      expect(() => own.db.query('SELECT 1').get()).toThrow()
    }
    await read(false)
    await read(true)
    // A read that fails (here: its connection closed under it) still releases it, once.
    const db = new Database(lectr.dbPath, { readonly: true })
    let closes = 0
    const reader = eventExportStream(sqliteExportPages(db, 'default', all, { scanRows: 5 }), 'ndjson', { close: () => closes++ }).getReader()
    await reader.read()
    db.close()
    await expect(reader.read()).rejects.toThrow()
    expect(closes).toBe(1)
  })

  test('exports over HTTP leave no connection open behind them', async () => {
    const dbFds = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === lectr.dbPath
      } catch {
        return false
      }
    }).length
    const before = dbFds()
    for (let i = 0; i < 20; i++) {
      const res = await lectr.api(`orgs/default/events/export?format=${i % 2 ? 'csv' : 'ndjson'}`)
      expect(res.status).toBe(200)
      expect((await res.text()).length).toBeGreaterThan(0)
    }
    expect(dbFds()).toBe(before)
  })

  test('csvCell quotes and neutralises', () => {
    expect(csvCell(null)).toBe('')
    expect(csvCell(true)).toBe('true')
    expect(csvCell(-1.5)).toBe('-1.5')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('-2+3')).toBe("'-2+3")
    expect(csvCell('=1,2')).toBe(`"'=1,2"`)
    expect(csvCell('\tx')).toBe("'\tx")
    // white space at either end is kept by quoting (a reader trims unquoted cells); inside, it needs none
    expect(csvCell(' lead')).toBe('" lead"')
    expect(csvCell('trail ')).toBe('"trail "')
    expect(csvCell('no\u00a0break')).toBe('no\u00a0break')
    expect(csvCell('nbsp\u00a0')).toBe('"nbsp\u00a0"')
    expect(csvCell('a\nb')).toBe('"a\nb"')
  })
})

describe('the Events page export', () => {
  test('the page links to the export with the filters in force; the download matches the API for the session org', async () => {
    const client = Client.http(lectr.url)
    expect((await client.signIn()).status).toBe(303)
    const { html } = await client.page('/events?feature=search&provider=openai')
    const link = html.match(/href="(\/events\/export\?[^"]+format=csv)"/)
    expect(link).not.toBeNull()
    const url = link![1]!.replaceAll('&amp;', '&')
    expect(url).toContain('feature=search')
    const res = await client.request(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toContain('lectr-events-default-')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    const dashCsv = await res.text()
    const apiCsv = await (await lectr.api('orgs/default/events/export?format=csv&feature=search&provider=openai')).text()
    expect(dashCsv).toBe(apiCsv)
    expect(parseCsv(dashCsv).length).toBe(1 + Math.ceil(N / FEATURES.length))
    // status=error (the dashboard's filter) keeps only failed requests
    const errors = parseCsv(await (await client.request('/events/export?status=error&format=csv')).text())
    const statusAt = errors[0]!.indexOf('status')
    expect(errors.length).toBeGreaterThan(1)
    for (const row of errors.slice(1)) expect(Number(row[statusAt])).toBeGreaterThanOrEqual(400)
  })

  test('without a session: sent to sign in, nothing exported', async () => {
    const res = await fetch(`${lectr.url}/events/export?format=csv`, { redirect: 'manual' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toContain('/signin')
    expect(await res.text()).not.toContain('registryVersion')
  })
})
