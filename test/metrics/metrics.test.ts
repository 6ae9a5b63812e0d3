import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chatJson, FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { errorOf } from '../helpers/json'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'
import { parseExposition, select, total, type Exposition } from './_prom'

const CANARY_KEY = 'sk-canary-provider-key-Zq8wX1'
const CANARY_FEATURE = 'feature-canary-Jh2k'
/** The models the traffic uses that the built-in registry lists (for their provider). */
const LISTED = new Set(['gpt-4o', 'gpt-4o-mini', 'llama-3.1-8b-instant'])

const up = new FakeUpstream()
up.script = (_req, rec) => {
  const body = JSON.parse(rec.body || '{}')
  if (body.model === 'gpt-4o' && body.temperature === 2) return Response.json({ error: { message: 'boom', type: 'server_error' } }, { status: 500 })
  if (body.stream) return sse(openaiChatStream(3, { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }, body.model))
  return chatJson({ model: body.model, usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } })
}
afterAll(() => up.stop())

async function scrape(l: TestLectr, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${l.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
}

/** Scrapes until every event is counted (an event's usage is completed just after its answer went out). */
async function scrapeCounted(l: TestLectr, events: number): Promise<{ x: Exposition; body: string }> {
  for (let i = 0; ; i++) {
    const res = await scrape(l)
    expect(res.status).toBe(200)
    const body = await res.text()
    const x = parseExposition(body)
    if (total(x, 'lectr_requests_total') === events || i > 40) return { x, body }
    await Bun.sleep(50)
  }
}

const groupBy = <T,>(rows: T[], key: (r: T) => string) => {
  const m = new Map<string, T[]>()
  for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r])
  return m
}
const modelLabel = (model: string | null) => (model === null ? '_none' : LISTED.has(model) ? model : '_unlisted')
const statusClass = (s: number) => `${Math.floor(s / 100)}xx`

describe('GET /metrics after known traffic', () => {
  let l: TestLectr
  let events: any[]
  let x: Exposition
  let body: string

  beforeAll(async () => {
    l = await startLectr(up)
    const h = { authorization: `Bearer ${CANARY_KEY}`, 'x-lectr-feature': CANARY_FEATURE }
    const calls: Promise<Response>[] = []
    for (let i = 0; i < 3; i++) calls.push(l.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, h))
    for (let i = 0; i < 2; i++) calls.push(l.post('chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [] }, h))
    for (let i = 0; i < 2; i++) calls.push(l.post('chat/completions', { model: 'llama-3.1-8b-instant', messages: [] }, h))
    for (let i = 0; i < 2; i++) calls.push(l.post('chat/completions', { model: 'my-own-model', messages: [] }, { ...h, 'x-lectr-provider': 'groq' }))
    calls.push(l.post('chat/completions', { model: 'gpt-5-imaginary', stream: true, messages: [] }, h))
    calls.push(l.post('chat/completions', { model: 'gpt-4o', temperature: 2, messages: [] }, h))
    calls.push(l.post('chat/completions', '{not json', h))
    for (const res of await Promise.all(calls)) await res.text()
    events = l.events()
    expect(events.length).toBe(12)
    ;({ x, body } = await scrapeCounted(l, events.length))
  })
  afterAll(() => l.stop())

  test('lectr_requests_total: one per event, by provider, model (as requested, _unlisted, _none), endpoint, status class, route', () => {
    expect(x.types.get('lectr_requests_total')).toBe('counter')
    const expected = groupBy(events, (e) => [e.provider, modelLabel(e.model), e.endpoint, statusClass(e.status), 'none'].join('|'))
    const series = select(x, 'lectr_requests_total')
    expect(series.length).toBe(expected.size)
    for (const s of series) {
      expect(Object.keys(s.labels).sort()).toEqual(['endpoint', 'model', 'provider', 'route', 'status_class'])
      const key = [s.labels.provider, s.labels.model, s.labels.endpoint, s.labels.status_class, s.labels.route].join('|')
      expect(s.value).toBe(expected.get(key)?.length ?? -1)
    }
    expect(total(x, 'lectr_requests_total', { model: '_unlisted' })).toBe(3)
    expect(total(x, 'lectr_requests_total', { model: '_none', status_class: '4xx' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { provider: 'groq' })).toBe(4)
    expect(total(x, 'lectr_requests_total', { status_class: '5xx' })).toBe(1)
  })

  test('cost and unpriced counters equal the sums over the events', () => {
    const priced = events.filter((e) => e.cost_usd !== null)
    const byLabel = groupBy(priced, (e) => `${e.provider}|${modelLabel(e.model)}`)
    const series = select(x, 'lectr_cost_usd_total')
    expect(series.length).toBe(byLabel.size)
    for (const s of series) {
      const rows = byLabel.get(`${s.labels.provider}|${s.labels.model}`) ?? []
      expect(rows.length).toBeGreaterThan(0)
      expect(s.value).toBeCloseTo(rows.reduce((a, e) => a + e.cost_usd, 0), 12)
    }
    expect(total(x, 'lectr_cost_usd_total')).toBeGreaterThan(0)
    const unpriced = events.filter((e) => e.cost_usd === null).length
    expect(unpriced).toBeGreaterThan(0)
    expect(total(x, 'lectr_unpriced_requests_total')).toBe(unpriced)
  })

  test('gen_ai_client_token_usage: one observation per event and token type, sums equal the tokens', () => {
    expect(x.types.get('gen_ai_client_token_usage')).toBe('histogram')
    for (const [type, column] of [['input', 'input_tokens'], ['output', 'output_tokens']] as const) {
      const withTokens = events.filter((e) => e[column] !== null)
      expect(total(x, 'gen_ai_client_token_usage_count', { gen_ai_token_type: type })).toBe(withTokens.length)
      expect(total(x, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: type })).toBe(withTokens.reduce((a, e) => a + e[column], 0))
    }
    const s = select(x, 'gen_ai_client_token_usage_count', { gen_ai_request_model: 'gpt-4o-mini', gen_ai_token_type: 'output' })[0]!
    expect(s.labels).toMatchObject({ gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_response_model: 'gpt-4o-mini' })
    expect(s.value).toBe(2)
  })

  test('histogram counts equal the request counts; buckets are cumulative and end at +Inf = count', () => {
    expect(total(x, 'gen_ai_server_request_duration_seconds_count')).toBe(events.length)
    expect(total(x, 'lectr_overhead_seconds_count')).toBe(events.length)
    expect(total(x, 'lectr_overhead_seconds_sum')).toBeGreaterThanOrEqual(0)
    const streamsOk = events.filter((e) => e.stream && e.status < 400 && e.ttfb_ms !== null)
    expect(streamsOk.length).toBe(3)
    expect(total(x, 'gen_ai_server_time_to_first_token_seconds_count')).toBe(streamsOk.length)
    expect(total(x, 'gen_ai_server_request_duration_seconds_sum')).toBeCloseTo(events.reduce((a, e) => a + e.latency_ms, 0) / 1000, 6)
    for (const name of ['gen_ai_client_token_usage', 'gen_ai_server_request_duration_seconds', 'gen_ai_server_time_to_first_token_seconds', 'lectr_overhead_seconds']) {
      expect(x.types.get(name)).toBe('histogram')
      for (const c of select(x, `${name}_count`)) {
        const { le: _, ...labels } = c.labels
        const buckets = select(x, `${name}_bucket`, labels).filter((b) => Object.keys(b.labels).length === Object.keys(labels).length + 1)
        expect(buckets.length).toBeGreaterThan(1)
        for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
        expect(buckets.at(-1)!.labels.le).toBe('+Inf')
        expect(buckets.at(-1)!.value).toBe(c.value)
      }
    }
  })

  test('gauges and info: nothing in flight, nothing queued or dropped, versions, routing present at 0', async () => {
    expect(total(x, 'lectr_in_flight_requests')).toBe(0)
    expect(x.types.get('lectr_in_flight_requests')).toBe('gauge')
    expect(total(x, 'lectr_events_dropped_total')).toBe(0)
    expect(select(x, 'lectr_event_queue_depth').length).toBe(1)
    const pkg = await Bun.file(`${import.meta.dir}/../../package.json`).json()
    expect(select(x, 'lectr_build_info')).toEqual([{ name: 'lectr_build_info', labels: { version: pkg.version }, value: 1 }])
    expect(select(x, 'lectr_registry_info')[0]!.labels.version).toBe(events[0].registry_version)
    expect(x.types.get('lectr_routing_requests_total')).toBe('counter')
    expect(select(x, 'lectr_routing_requests_total').length).toBe(0)
    expect(total(x, 'lectr_fallbacks_total')).toBe(0)
    expect(select(x, 'lectr_fallbacks_total').length).toBe(1)
    expect(total(x, 'lectr_requests_total', { route: 'none' })).toBe(events.length)
  })

  test('by default no label holds a key, a feature tag or an org', () => {
    expect(body).not.toContain(CANARY_KEY)
    expect(body).not.toContain(CANARY_FEATURE)
    expect(body).not.toContain('my-own-model')
    expect(body).not.toContain('gpt-5-imaginary')
    for (const s of x.samples) {
      expect(s.labels.org).toBeUndefined()
      expect(s.labels.feature).toBeUndefined()
      for (const v of Object.values(s.labels)) expect(v).not.toBe('default')
    }
  })

  test('a wrong or missing token is 401 in the OpenAI error shape; the admin token opens it', async () => {
    const none = await fetch(`${l.url}/metrics`)
    expect(none.status).toBe(401)
    expect((await errorOf(none)).error.code).toBe('lectr_unauthorized')
    const wrong = await scrape(l, 'not-the-admin-token-at-all')
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain('lectr_requests_total')
    const ok = await scrape(l)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  })
})

describe('LECTR_METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'metrics-scraper-token-0123456789'
  let l: TestLectr
  beforeAll(async () => {
    l = await startLectr(up, {}, { LECTR_METRICS_TOKEN: METRICS_TOKEN })
  })
  afterAll(() => l.stop())

  test('opens /metrics (and so does the admin token), but not the admin API', async () => {
    expect((await scrape(l, METRICS_TOKEN)).status).toBe(200)
    expect((await scrape(l, ADMIN_TOKEN)).status).toBe(200)
    expect((await scrape(l, 'metrics-scraper-token-0123456780')).status).toBe(401)
    const api = await fetch(`${l.url}/api/orgs`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(api.status).toBe(401)
  })
})

describe('LECTR_METRICS_LABELS=org,feature', () => {
  let l: TestLectr
  beforeAll(async () => {
    l = await startLectr(up, {}, { LECTR_METRICS_LABELS: 'org,feature' })
  })
  afterAll(() => l.stop())

  test('adds org and feature to the request and cost counters, at most 100 values each, the rest _other', async () => {
    const n = 105
    for (let i = 0; i < n; i += 15) {
      const batch = []
      for (let j = i; j < Math.min(n, i + 15); j++) batch.push(l.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-feature': `feat-${j}` }))
      for (const r of await Promise.all(batch)) await r.text()
    }
    const res = await l.post('chat/completions', { model: 'gpt-4o', messages: [] })
    await res.text()
    const events = l.events()
    expect(events.length).toBe(n + 1)
    const { x } = await scrapeCounted(l, events.length)
    const series = select(x, 'lectr_requests_total')
    for (const s of series) expect(s.labels.org).toBe('default')
    const features = new Set(series.map((s) => s.labels.feature))
    expect(features.size).toBe(100 + 2) // 100 named, _other, and _none for the request without a tag
    expect(total(x, 'lectr_requests_total', { feature: '_other' })).toBe(n - 100)
    expect(total(x, 'lectr_requests_total', { feature: '_none' })).toBe(1)
    expect(total(x, 'lectr_requests_total')).toBe(n + 1)
    expect(total(x, 'lectr_cost_usd_total', { org: 'default' })).toBeCloseTo(events.reduce((a, e) => a + (e.cost_usd ?? 0), 0), 12)
    // Only the request and cost counters carry them.
    for (const s of select(x, 'gen_ai_server_request_duration_seconds_count')) expect(s.labels.feature).toBeUndefined()
  })
})
