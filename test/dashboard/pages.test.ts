/**
 * Every page with real data: requests are proxied through a real Lectr (socket, fake upstream), then each page
 * is read as a signed-in browser would. Strings that came from requests are escaped everywhere.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { Client } from './_client'
import { HOSTILE_FEATURE, HOSTILE_MODEL, sendTraffic, TRAFFIC } from './_traffic'

const BUILTIN = join(import.meta.dir, '../../src/registry/builtin.json')

/** No raw hostile markup anywhere; the escaped text is there when `shown`. */
function expectSafe(html: string, shown: string[] = []) {
  expect(html).not.toContain('<img')
  expect(html).not.toContain("<script>alert")
  for (const s of shown) expect(html).toContain(Bun.escapeHTML(s))
}

let up: FakeUpstream
let lectr: TestLectr
let client: Client
let registryDir: string
let registryFile: string

beforeAll(async () => {
  up = new FakeUpstream()
  registryDir = mkdtempSync(join(tmpdir(), 'lectr-registry-'))
  registryFile = join(registryDir, 'registry.json')
  copyFileSync(BUILTIN, registryFile)
  lectr = await startLectr(up, { registry: registryFile })
  await sendTraffic(lectr, up)
  client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
})

afterAll(async () => {
  await lectr?.stop()
  up?.stop()
  rmSync(registryDir, { recursive: true, force: true })
})

describe('overview', () => {
  test('totals, error rate and the chart from the roll-ups', async () => {
    const { res, html } = await client.page('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(html).toContain('<div class="stat-value">59</div>')
    expect(html).toContain('1 request without pricing') // the unknown model
    expect(html).toContain('1.7%') // 1 error in 59
    expect(html).toContain('<svg class="chart-svg"')
    expect((html.match(/class="chart-bucket"/g) ?? []).length).toBe(24)
    expectSafe(html)
  })

  test('7 and 30 day ranges use 6-hour and daily bars', async () => {
    const week = await client.page('/?range=7d')
    expect((week.html.match(/class="chart-bucket"/g) ?? []).length).toBe(28)
    expect(week.html).toContain('<div class="stat-value">59</div>')
    const month = await client.page('/?range=30d')
    expect((month.html.match(/class="chart-bucket"/g) ?? []).length).toBe(30)
    // An unknown range is the default, not an error.
    expect((await client.page('/?range=1y')).res.status).toBe(200)
  })
})

describe('models', () => {
  test('one row per model, unpriced shown as such, hostile names escaped', async () => {
    const { html } = await client.page('/models')
    expect(html).toContain('<code class="model">gpt-4o</code>')
    expect(html).toContain('<code class="model">gpt-4o-mini</code>')
    expect(html).toContain('<code class="model">llama-3.1-8b-instant</code>')
    expect(html).toContain('(pricing unavailable)')
    expectSafe(html, [HOSTILE_MODEL])
  })

  test('htmx gets only the table, filtered by provider, with Vary: HX-Request', async () => {
    const res = await client.get('/models?provider=groq&range=24h&sort=cost&dir=asc', { 'hx-request': 'true' })
    expect(res.status).toBe(200)
    expect(res.headers.get('vary')).toBe('HX-Request')
    const html = await res.text()
    expect(html).toStartWith('<div id="models-table"')
    expect(html).not.toContain('<html')
    expect(html).toContain('llama-3.1-8b-instant')
    expect(html).not.toContain('gpt-4o')
    expect(html).toContain('name="sort" value="cost"')
    expect(html).toContain('name="dir" value="asc"')
  })

  test('sorting by requests puts the busiest first', async () => {
    const res = await client.get('/models?sort=requests&dir=desc', { 'hx-request': 'true' })
    const html = await res.text()
    expect(html.indexOf('gpt-4o-mini')).toBeLessThan(html.indexOf('llama-3.1-8b-instant'))
  })
})

describe('events', () => {
  test('newest first, 50 a page, with a next page', async () => {
    const { html } = await client.page('/events')
    expect((html.match(/<tr>\n  <td class="nowrap cell-primary" data-label="Time \(UTC\)"><a href="\/events\//g) ?? []).length).toBe(50)
    expectSafe(html, [HOSTILE_MODEL, HOSTILE_FEATURE])
    const next = /rel="next" href="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&')
    const page2 = await client.page(next)
    expect((page2.html.match(/href="\/events\/[0-9a-f-]{36}"/g) ?? []).length).toBe(TRAFFIC.total - 50)
    expect(page2.html).toContain('End of the log')
    expect(page2.html).toContain('>Newest</a>')
  })

  test('filters: provider, model, feature, task, status; htmx gets the table only', async () => {
    const count = async (query: string) => {
      const res = await client.get(`/events?${query}`, { 'hx-request': 'true' })
      expect(res.headers.get('vary')).toBe('HX-Request')
      const html = await res.text()
      expect(html).toStartWith('<div id="events-table"')
      return (html.match(/href="\/events\/[0-9a-f-]{36}"/g) ?? []).length
    }
    expect(await count('provider=groq')).toBe(TRAFFIC.groq)
    expect(await count('model=gpt-4o-mini')).toBe(30)
    expect(await count('feature=support-triage')).toBe(TRAFFIC.classify + TRAFFIC.errors)
    expect(await count('task=classification')).toBe(TRAFFIC.classify)
    expect(await count('status=error')).toBe(TRAFFIC.errors)
    expect(await count(`feature=${encodeURIComponent(HOSTILE_FEATURE)}`)).toBe(1)
    expect(await count(`model=${encodeURIComponent(HOSTILE_MODEL)}&status=ok`)).toBe(1)
    expect(await count('model=gpt-4o&status=error&feature=support-triage')).toBe(1)
    expect(await count('model=no-such-model')).toBe(0)
  })

  test('the filter form keeps hostile values as text', async () => {
    const { html } = await client.page(`/events?model=${encodeURIComponent(HOSTILE_MODEL)}&feature=${encodeURIComponent(HOSTILE_FEATURE)}`)
    expectSafe(html, [HOSTILE_MODEL, HOSTILE_FEATURE])
  })

  test('each event has a detail page; hostile strings escaped there too', async () => {
    const list = await client.get(`/events?model=${encodeURIComponent(HOSTILE_MODEL)}`, { 'hx-request': 'true' })
    const id = /href="\/events\/([0-9a-f-]{36})"/.exec(await list.text())![1]!
    const { res, html } = await client.page(`/events/${id}`)
    expect(res.status).toBe(200)
    expect(html).toContain(id)
    expect(html).toContain('fallback (not detected)')
    expectSafe(html, [HOSTILE_MODEL, HOSTILE_FEATURE])
  })
})

describe('recommendations', () => {
  test('gpt-4o for classification is advised down to gpt-4o-mini', async () => {
    const { html } = await client.page('/recommendations')
    expect(html).toContain('<code class="model model-suggested">gpt-4o-mini</code>')
    expect(html).toContain('support-triage')
    expect(html).toContain('/mo')
    expectSafe(html)
  })
})

describe('keys', () => {
  test('create (shown once, and it works), list by prefix, revoke (and it stops working)', async () => {
    await client.page('/settings/keys')
    const created = await client.post('/settings/keys', { label: 'staging <b>' })
    expect(created.status).toBe(200)
    const html = await created.text()
    const key = /id="new-key" class="new-key-value" type="text" value="([^"]+)"/.exec(html)![1]!
    expect(key).toStartWith('lectr_org_')
    expect(html).toContain('staging &lt;b&gt;')
    const call = () => fetch(`${lectr.url}/v1/models`, { headers: { 'x-lectr-key': key } })
    expect((await call()).status).toBe(200)

    const listed = await client.page('/settings/keys')
    expect(listed.html).not.toContain(key)
    expect(listed.html).toContain(`<code>${key.slice(0, 16)}…</code>`)

    const keyId = /action="\/settings\/keys\/([^/]+)\/revoke"/.exec(listed.html.slice(listed.html.indexOf('staging &lt;b&gt;') - 600))![1]!
    const revoked = await client.post(`/settings/keys/${keyId}/revoke`)
    expect(revoked.status).toBe(303)
    expect(revoked.headers.get('location')).toBe('/settings/keys?done=revoked')
    expect((await client.page('/settings/keys?done=revoked')).html).toContain('Key revoked.')
    expect((await call()).status).toBe(401)
    // Again: nothing to revoke.
    const again = await client.post(`/settings/keys/${keyId}/revoke`)
    expect(again.headers.get('location')).toBe('/settings/keys?done=missing')
    expect((await client.page('/settings/keys?done=missing')).html).toContain('does not exist or was revoked already')
  })

  test('a label over 100 characters is refused', async () => {
    await client.page('/settings/keys')
    const res = await client.post('/settings/keys', { label: 'x'.repeat(101) })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('longer than 100 characters')
  })
})

describe('registry', () => {
  test('source, version; a broken file keeps the last good one and shows its error on every page; a fixed one reloads', async () => {
    let page = await client.page('/registry')
    expect(page.html).toContain(registryFile)
    expect(page.html).toContain('builtin-')
    expect(page.html).toContain('<code class="model">gpt-4o</code>')

    writeFileSync(registryFile, '{ "version": "broken", ')
    const failed = await client.post('/registry/reload')
    expect(failed.status).toBe(303)
    expect(failed.headers.get('location')).toBe('/registry?done=failed')
    page = await client.page('/registry?done=failed')
    expect(page.html).toContain('The last reload failed')
    for (const path of ['/', '/models', '/events', '/settings/keys']) {
      expect((await client.page(path)).html).toContain('The registry failed to reload.')
    }

    const fixed = JSON.parse(await Bun.file(BUILTIN).text())
    fixed.version = 'test-2099-01-01'
    writeFileSync(registryFile, JSON.stringify(fixed))
    const ok = await client.post('/registry/reload')
    expect(ok.headers.get('location')).toBe('/registry?done=reloaded')
    page = await client.page('/registry?done=reloaded')
    expect(page.html).toContain('Registry reloaded.')
    expect(page.html).toContain('test-2099-01-01')
    expect(page.html).not.toContain('The registry failed to reload.')
  })
})

describe('orgs', () => {
  test('another org sees none of this traffic, and not its events by id', async () => {
    const created = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'Acme' }) })
    expect(created.status).toBe(201)
    const other = Client.http(lectr.url)
    await other.signIn()
    await other.page('/')
    const events = await other.page('/events')
    const someId = /href="\/events\/([0-9a-f-]{36})"/.exec(events.html)![1]!
    expect((await other.post('/orgs/switch', { org: 'acme', next: '/events' })).headers.get('location')).toBe('/events')
    const empty = await other.page('/events')
    expect(empty.html).toContain('No events yet')
    expect(empty.html).toContain('<option value="acme" selected>Acme</option>')
    expect((await other.page('/')).html).toContain('<div class="stat-value">0</div>')
    expect((await other.page(`/events/${someId}`)).res.status).toBe(404)
    // The first client still looks at default.
    expect((await client.page('/')).html).toContain('<div class="stat-value">59</div>')
  })
})
