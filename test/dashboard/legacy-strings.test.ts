/**
 * A database written before the length limits (issue 15) may already hold megabyte model names and feature tags.
 * Every page and API answer that shows them stays small: the strings are read cut and shown with an ellipsis.
 * Real Lectr over a socket; the huge rows are written straight into its database, as an older version would have.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { Client } from './_client'
import { errorOf } from '../helpers/json'

const MB = 1024 * 1024
/** Characters that grow when escaped, the worst case for a page's size. */
const HUGE_MODEL = 'gpt-4o-' + '<&"'.repeat(Math.ceil(MB / 3))
const HUGE_FEATURE = 'feat-' + 'f'.repeat(MB)
const HUGE_RESPONSE_MODEL = 'resp-' + 'r'.repeat(MB)
const HUGE_ERROR = 'err_' + 'e'.repeat(MB)
const LEGACY_EVENTS = 5
const HOUR_MS = 3_600_000
const shown = (s: string) => s.slice(0, 256) + '…'

let up: FakeUpstream
let lectr: TestLectr
let client: Client
let detailId = ''

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
  expect((await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] })).status).toBe(200)
  lectr.running.writer.flush()

  const db = new Database(lectr.dbPath)
  db.exec('PRAGMA busy_timeout = 5000')
  const now = Date.now()
  const hour = now - (now % HOUR_MS)
  const day = now - (now % (24 * HOUR_MS))
  const insertEvent = db.query(
    `INSERT INTO events (id, time, org_id, provider, provider_unknown, detection, model, response_model, endpoint, stream, status,
       error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, latency_ms, ttfb_ms, feature, task,
       usage_estimated, registry_version)
     VALUES (?, ?, 'default', 'openai', 1, 'fallback', ?, ?, 'chat/completions', 0, ?, ?, 10, 0, 5, 0, NULL, 12.5, 10, ?, NULL, 0, 'test')`,
  )
  db.transaction(() => {
    for (let i = 0; i < LEGACY_EVENTS; i++) {
      const id = Bun.randomUUIDv7()
      const all = i === LEGACY_EVENTS - 1
      if (all) detailId = id
      insertEvent.run(id, now, HUGE_MODEL, all ? HUGE_RESPONSE_MODEL : null, all ? 500 : 200, all ? HUGE_ERROR : null, all ? HUGE_FEATURE : null)
    }
    db.query(
      `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens, cached_input_tokens,
         output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum)
       VALUES ('default', ?, 'openai', ?, ?, '', ?, 1, 50, 0, 25, 0, 0, ?, 62.5)`,
    ).run(hour, HUGE_MODEL, HUGE_FEATURE, LEGACY_EVENTS, LEGACY_EVENTS)
    for (const [table, column, at] of [['model_rollups_hourly', 'hour', hour], ['model_rollups_daily', 'day', day]] as const) {
      db.query(
        `INSERT INTO ${table} (org_id, ${column}, provider, model, requests, errors, input_tokens, output_tokens, cost_usd, unpriced_requests, latency_ms_sum)
         VALUES ('default', ?, 'openai', ?, ?, 1, 50, 25, 0, ?, 62.5)`,
      ).run(at, HUGE_MODEL, LEGACY_EVENTS, LEGACY_EVENTS)
    }
  })()
  db.close()

  client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
})

afterAll(async () => {
  await lectr?.stop()
  up?.stop()
})

const LIMIT = 200 * 1024

describe('pages over huge legacy strings', () => {
  test('the events page: small, every huge string shown cut with an ellipsis', async () => {
    const { res, html } = await client.page('/events')
    expect(res.status).toBe(200)
    expect(html.length).toBeLessThan(LIMIT)
    expect(html).toContain(Bun.escapeHTML(shown(HUGE_MODEL)))
    expect(html).toContain(Bun.escapeHTML(shown(HUGE_FEATURE)))
    expect(html).not.toContain(Bun.escapeHTML(HUGE_MODEL.slice(0, 257)))
    // the ordinary event is still there, whole
    expect(html).toContain('>gpt-4o</code>')
  })

  test('the htmx fragment of the events page and a filtered page: small', async () => {
    const fragment = await client.page('/events', { 'hx-request': 'true' })
    expect(fragment.html.length).toBeLessThan(LIMIT)
    expect(fragment.html).toContain(Bun.escapeHTML(shown(HUGE_MODEL)))
    const filtered = await client.page('/events?status=error')
    expect(filtered.html.length).toBeLessThan(LIMIT)
    expect(filtered.html).toContain(Bun.escapeHTML(shown(HUGE_FEATURE)))
  })

  test("an event's detail: model, response model, error code and feature each cut", async () => {
    const { res, html } = await client.page(`/events/${detailId}`)
    expect(res.status).toBe(200)
    expect(html.length).toBeLessThan(LIMIT)
    for (const s of [HUGE_MODEL, HUGE_RESPONSE_MODEL, HUGE_ERROR, HUGE_FEATURE]) expect(html).toContain(Bun.escapeHTML(shown(s)))
  })

  test('the models page, the overview and recommendations: small', async () => {
    const models = await client.page('/models')
    expect(models.res.status).toBe(200)
    expect(models.html.length).toBeLessThan(LIMIT)
    expect(models.html).toContain(Bun.escapeHTML(shown(HUGE_MODEL)))
    for (const path of ['/', '/recommendations']) {
      const { res, html } = await client.page(path)
      expect(res.status).toBe(200)
      expect(html.length).toBeLessThan(LIMIT)
    }
  })
})

describe('the admin API over huge legacy strings', () => {
  test('events, even at the largest page size (1000): small, strings cut with an ellipsis', async () => {
    const res = await lectr.api('orgs/default/events?limit=1000')
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.length).toBeLessThan(LIMIT)
    const events = JSON.parse(text).events as any[]
    expect(events.length).toBe(LEGACY_EVENTS + 1)
    const detail = events.find((e) => e.id === detailId)
    expect(detail.model).toBe(shown(HUGE_MODEL))
    expect(detail.responseModel).toBe(shown(HUGE_RESPONSE_MODEL))
    expect(detail.errorCode).toBe(shown(HUGE_ERROR))
    expect(detail.feature).toBe(shown(HUGE_FEATURE))
    expect(events.find((e) => e.model === 'gpt-4o')).toBeDefined()
  })

  test('a page size over 1000 is refused', async () => {
    const res = await lectr.api('orgs/default/events?limit=1001')
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error.problems).toEqual(['limit: expected a whole number from 1 to 1000'])
  })

  test('the model distribution and recommendations: small', async () => {
    const models = await lectr.api('orgs/default/models')
    const text = await models.text()
    expect(text.length).toBeLessThan(LIMIT)
    expect(JSON.parse(text).rows.map((r: any) => r.model)).toContain(shown(HUGE_MODEL))
    const recs = await lectr.api('orgs/default/recommendations')
    expect(recs.status).toBe(200)
    expect((await recs.text()).length).toBeLessThan(LIMIT)
  })
})
