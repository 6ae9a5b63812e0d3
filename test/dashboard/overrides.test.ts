import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { formatUsd } from '../../views/format'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { MODEL, PROVIDER, answerAsRequested, chat, pastEvent, rollupMismatches } from '../registry/_unpriced'
import { Client } from './_client'

let up: FakeUpstream
let lectr: TestLectr
let client: Client
const HOSTILE = `<img src=x onerror=alert(1)>/m`
/** 50k input and 10k output, at $3 and $15 per 1M: $0.30 each */
const past = [pastEvent(2), pastEvent(3), pastEvent(4)]

/** The text of the models table's row for `model` (tags removed). */
function rowText(html: string, model: string): string {
  const escaped = model.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const rows = html.split('<tr').filter((r) => r.includes(`>${escaped}<`))
  return rows.map((r) => r.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ')).join(' | ')
}

beforeAll(async () => {
  up = new FakeUpstream()
  answerAsRequested(up)
  lectr = await startLectr(up)
  for (const e of past) lectr.running.writer.enqueue(e)
  lectr.running.writer.flush()
  for (let i = 0; i < 2; i++) await (await chat(lectr)).text()
  await (await chat(lectr, HOSTILE)).text()
  client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
})

afterAll(async () => {
  await lectr.stop()
  up.stop()
})

describe('Registry page: prices for unpriced models, and re-pricing', () => {
  test('lists the unpriced models of the last 30 days, most requests first, escaped', async () => {
    const { res, html } = await client.page('/registry')
    expect(res.status).toBe(200)
    expect(html).toContain('Unpriced models seen in the last 30 days')
    const section = html.slice(html.indexOf('id="unpriced"'), html.indexOf('id="overrides"'))
    expect(section.indexOf(`>${MODEL}<`)).toBeGreaterThan(0)
    // 5 requests of MODEL before 1 of the hostile one
    expect(section.indexOf(`>${MODEL}<`)).toBeLessThan(section.indexOf('&lt;img src=x'))
    expect(rowText(section, MODEL)).toContain(' 5 ')
    expect(html).not.toContain('<img src=x')
  })

  test('the models table and overview show the week without a cost for it, and keep finished days in memory', async () => {
    const models = await client.page('/models?range=7d')
    expect(rowText(models.html, MODEL)).toContain('pricing unavailable')
    const overview = await client.page('/?range=7d')
    expect(overview.html).toContain('6 requests without pricing')
  })

  test('a form without the CSRF token changes nothing', async () => {
    const res = await client.post('/registry/overrides', { _csrf: 'wrong', provider: PROVIDER, model: MODEL, input: '3', output: '15' })
    expect(res.status).toBe(403)
    expect(((await (await lectr.api('registry/overrides')).json()) as any).overrides).toEqual([])
  })

  test('a bad price is refused with every problem, and nothing is stored', async () => {
    await client.page('/registry')
    const res = await client.post('/registry/overrides', { provider: PROVIDER, model: MODEL, input: '-1', cachedInput: 'cheap', output: '' })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('The price was not saved')
    for (const where of ['/price/input', '/price/cachedInput', '/price/output']) expect(html).toContain(where)
    expect(((await (await lectr.api('registry/overrides')).json()) as any).overrides).toEqual([])
  })

  test('adding a price through the form prices new requests at once', async () => {
    await client.page('/registry')
    const res = await client.post('/registry/overrides', { provider: PROVIDER, model: MODEL, input: '3', cachedInput: '1', output: '15' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toStartWith('/registry?done=priced')
    const list = (await (await lectr.api('registry/overrides')).json()) as any
    expect(list.overrides).toMatchObject([{ provider: PROVIDER, model: MODEL, price: { input: 3, cachedInput: 1, output: 15 } }])
    const after = await client.page('/registry?done=priced')
    expect(after.html).toContain('Price saved.')
    const overridesSection = after.html.slice(after.html.indexOf('id="overrides"'), after.html.indexOf('id="reprice"'))
    expect(overridesSection).toContain(`>${MODEL}<`)
    expect(overridesSection).toContain('$15.00')
    const priced = await chat(lectr)
    const id = priced.headers.get('x-lectr-request-id')!
    await priced.text()
    expect(lectr.events().find((e) => e.id === id).cost_usd).toBe(0.52)
  })

  test('re-pricing the last 7 days shows the count and amount, and the models table and overview show the new totals', async () => {
    await client.page('/registry')
    const res = await client.post('/registry/reprice', { days: '7' })
    expect(res.status).toBe(303)
    // 2 proxied at $0.52 and 3 past at $0.30
    const location = res.headers.get('location')!
    expect(location).toContain('n=5')
    expect(location).toContain('usd=1.94')
    const notice = await client.page(location.replace(/#.*/, ''))
    expect(notice.html).toContain('Re-priced 5 requests of the last 7 days: $1.94 added.')
    expect(notice.html).toContain('1 request with token counts still has no price.')
    expect(rollupMismatches(lectr)).toEqual([])

    // 3 proxied at $0.52 + 3 past at $0.30 = $2.46, nothing unpriced for this model
    const models = await client.page('/models?range=7d')
    const row = rowText(models.html, MODEL)
    expect(row).toContain(formatUsd(2.46))
    expect(row).not.toContain('unpriced')
    expect(row).not.toContain('pricing unavailable')
    const overview = await client.page('/?range=7d')
    // the gpt-free traffic: only the hostile request stays unpriced
    expect(overview.html).toContain('1 request without pricing')
    expect(overview.html).toContain(formatUsd(2.46))

    const again = await client.post('/registry/reprice', { days: '30' })
    expect(again.headers.get('location')).toContain('n=0')
  })

  test('a re-price of another length is refused', async () => {
    await client.page('/registry')
    const res = await client.post('/registry/reprice', { days: '3650' })
    expect(res.status).toBe(400)
  })

  test('the remove button removes the price', async () => {
    await client.page('/registry')
    const res = await client.post('/registry/overrides/remove', { provider: PROVIDER, model: MODEL })
    expect(res.status).toBe(303)
    expect(((await (await lectr.api('registry/overrides')).json()) as any).overrides).toEqual([])
    const { html } = await client.page('/registry?done=removed')
    expect(html).toContain('Price removed.')
    const again = await client.post('/registry/overrides/remove', { provider: PROVIDER, model: MODEL })
    expect(again.status).toBe(404)
  })
})
