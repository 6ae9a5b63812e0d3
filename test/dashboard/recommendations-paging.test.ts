/**
 * The Recommendations page at scale (issue 18): 50 rows a page, largest savings first, Next/Previous as plain
 * links and htmx; the summary counts and sums every page and equals the admin API's totals; "Try as a canary"
 * works from any page; new traffic shows at once (the kept list is never stale). The admin API's limit/offset.
 * Real Lectr over a socket; 121 groups written straight into its roll-ups (the proxy would need 3,000 requests).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf, errorOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { echoModel } from '../routing/_setup'
import { escapeHtml } from '../../views/html'
import { formatUsd } from '../../views/format'
import { Client } from './_client'

const HOUR_MS = 3_600_000
const GROUPS = 120
const HOSTILE = `"><script>alert('rec')</script><img src=x onerror=alert(3)>`

let up: FakeUpstream
let lectr: TestLectr
let client: Client

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = echoModel()
  lectr = await startLectr(up)
  const db = new Database(lectr.dbPath)
  db.exec('PRAGMA busy_timeout = 5000')
  const hour = Date.now() - (Date.now() % HOUR_MS)
  const insert = db.query(
    `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens, cached_input_tokens,
       output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum)
     VALUES ('default', ?, 'openai', 'gpt-4o', ?, 'classification', ?, 0, ?, 0, ?, 0, 0, 0, ?)`,
  )
  db.transaction(() => {
    // Savings grow with the requests (same token mix), so every group has its own place in the order.
    for (let i = 0; i < GROUPS; i++) insert.run(hour, `f-${String(i).padStart(3, '0')}`, 20 + i, 300 * (20 + i), 20 * (20 + i), 100 * (20 + i))
    // 60 requests with a little more input than f-040's: between f-040 and f-041, on page 2
    insert.run(hour, HOSTILE, 60, 301 * 60, 20 * 60, 6000)
  })()
  db.close()
  client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const api = async (query = '') => answerOf(await lectr.api(`orgs/default/recommendations${query}`), 'recommendations')
const rowsOf = (html: string) => [...html.matchAll(/<input type="hidden" name="feature" value="([^"]*)">/g)].map((m) => m[1]!)
const summaryOf = (html: string) => /Up to <strong>([^<]*)<\/strong> a month across ([0-9,]+) changes/.exec(html)?.slice(1, 3)

describe('Recommendations page, paged', () => {
  test('50 rows a page by savings, the next pages continue, no row twice, the totals are the API’s', async () => {
    const all = await api()
    expect(all.total).toBe(GROUPS + 1)
    expect(all.recommendations).toHaveLength(GROUPS + 1)
    const pages = await Promise.all([1, 2, 3].map((n) => client.page(n === 1 ? '/recommendations' : `/recommendations?page=${n}`)))
    const shown = pages.map((p) => rowsOf(p.html))
    expect(shown.map((rows) => rows.length)).toEqual([50, 50, 21])
    // the API's order is by savings too: pages 1, 2, 3 are it, in order, cut in fifties
    expect(shown.flat()).toEqual(all.recommendations.map((r) => escapeHtml(r.feature)))
    expect(new Set(shown.flat()).size).toBe(GROUPS + 1)
    const savings = all.recommendations.map((r) => r.monthlySavingsUsd)
    expect(savings).toEqual([...savings].sort((a, b) => b - a))
    for (const p of pages) {
      expect(p.res.status).toBe(200)
      // the summary counts and sums every page, the same on each
      expect(summaryOf(p.html)).toEqual([formatUsd(all.totalMonthlySavingsUsd), String(GROUPS + 1)])
    }
    expect(pages[0]!.html).toContain('1–50 of 121')
    expect(pages[2]!.html).toContain('101–121 of 121')
  })

  test('Next and Previous: plain links and htmx, only where there is a page to go to', async () => {
    const next = (n: number) => `<a class="btn btn-small" rel="next" href="/recommendations?page=${n}" hx-get="/recommendations?page=${n}" hx-target="#recommendations-table"`
    const prev = (to: string) => `<a class="btn btn-small" rel="prev" href="${to}" hx-get="${to}" hx-target="#recommendations-table"`
    const [p1, p2, p3] = await Promise.all(['', '?page=2', '?page=3'].map(async (q) => (await client.page(`/recommendations${q}`)).html))
    expect(p1).toContain(next(2))
    expect(p1).not.toContain('rel="prev"')
    expect(p2).toContain(prev('/recommendations'))
    expect(p2).toContain(next(3))
    expect(p3).toContain(prev('/recommendations?page=2'))
    expect(p3).not.toContain('rel="next"')

    // htmx gets the table and pager only
    const res = await client.get('/recommendations?page=2', { 'hx-request': 'true' })
    expect(res.headers.get('vary')).toBe('HX-Request')
    const fragment = await res.text()
    expect(fragment).toStartWith('<div id="recommendations-table">')
    expect(fragment).not.toContain('<html')
    expect(rowsOf(fragment)).toEqual(rowsOf(p2))
    expect(fragment).toContain('name="_csrf"')
  })

  test('a page number out of range or not a number: the nearest page there is', async () => {
    const first = rowsOf((await client.page('/recommendations')).html)
    const last = rowsOf((await client.page('/recommendations?page=3')).html)
    for (const q of ['page=0', 'page=abc', 'page=-2', 'page=1.5', `page=${'9'.repeat(40)}`]) expect(rowsOf((await client.page(`/recommendations?${q}`)).html)).toEqual(first)
    expect(rowsOf((await client.page('/recommendations?page=99')).html)).toEqual(last)
  })

  test('a hostile feature tag is escaped on its page', async () => {
    const all = await api()
    const rank = all.recommendations.findIndex((r) => r.feature === HOSTILE)
    expect(rank).toBeGreaterThanOrEqual(50)
    const { html } = await client.page(`/recommendations?page=${Math.floor(rank / 50) + 1}`)
    expect(html).toContain(escapeHtml(HOSTILE))
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img src=x')
  })

  test('"Try as a canary" on a row of page 2 creates its rule', async () => {
    const { html } = await client.page('/recommendations?page=2')
    const form = /<form class="canary-form"[^>]*>([\s\S]*?)<\/form>/.exec(html)![1]!
    const fields = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]))
    expect(fields.page).toBe('2')
    const feature = fields.feature!
    expect(rowsOf(html)[0]).toBe(feature)
    const res = await client.post('/recommendations/canary', fields)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toStartWith('/settings/routing?done=canary')
    const routing = await answerOf(await lectr.api('orgs/default/routing'), 'routing')
    expect(routing.rules.some((r) => JSON.stringify(r).includes(`"${feature}"`))).toBe(true)
    // the same again: refused, and the page it shows is page 2, where the row was
    const again = await client.post('/recommendations/canary', fields)
    expect(again.status).toBe(409)
    expect(rowsOf(await again.text())).toEqual(rowsOf(html))
  })

  test('new traffic shows at once: the kept list follows the roll-ups', async () => {
    const before = await client.page('/recommendations')
    expect(summaryOf(before.html)?.[1]).toBe(String(GROUPS + 1))
    for (let i = 0; i < 25; i += 5) {
      const batch = await Promise.all(
        Array.from({ length: 5 }, () =>
          lectr.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(40_000) }] }, { 'x-lectr-task': 'classification', 'x-lectr-feature': 'fresh' }),
        ),
      )
      for (const r of batch) await r.text()
    }
    const after = await client.page('/recommendations')
    expect(summaryOf(after.html)?.[1]).toBe(String(GROUPS + 2))
    const now = await api()
    expect(now.total).toBe(GROUPS + 2)
    const rank = now.recommendations.findIndex((r) => r.feature === 'fresh')
    expect(rank).toBeGreaterThanOrEqual(0)
    expect(rowsOf((await client.page(`/recommendations?page=${Math.floor(rank / 50) + 1}`)).html)).toContain('fresh')
  })
})

describe('GET /api/orgs/:org/recommendations: limit and offset', () => {
  test('without them every recommendation, as before; with them a slice, the totals still over all', async () => {
    const all = await api()
    expect(all.recommendations.length).toBe(all.total)
    const first = await api('?limit=50')
    expect(first.recommendations).toEqual(all.recommendations.slice(0, 50))
    const second = await api('?limit=50&offset=50')
    expect(second.recommendations).toEqual(all.recommendations.slice(50, 100))
    const tail = await api('?offset=100')
    expect(tail.recommendations).toEqual(all.recommendations.slice(100))
    expect((await api(`?offset=${all.total}`)).recommendations).toEqual([])
    for (const part of [first, second, tail]) {
      expect(part.total).toBe(all.total)
      expect(part.totalMonthlySavingsUsd).toBe(all.totalMonthlySavingsUsd)
    }
    expect(all.totalMonthlySavingsUsd).toBeCloseTo(all.recommendations.reduce((s, r) => s + r.monthlySavingsUsd, 0), 9)
  })

  test('a bad limit or offset: 400 lectr_invalid_query naming it', async () => {
    for (const [q, name] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=abc', 'limit'], ['limit=2.5', 'limit'], ['offset=-1', 'offset'], ['offset=x', 'offset']] as const) {
      const res = await lectr.api(`orgs/default/recommendations?${q}`)
      expect(res.status).toBe(400)
      const body = await errorOf(res)
      expect(body.error.code).toBe('lectr_invalid_query')
      expect(JSON.stringify(body)).toContain(`${name}: expected`)
    }
  })
})
