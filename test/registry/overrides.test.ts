import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { builtinRegistry } from '../../src/registry/load'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { DAY_MS, MODEL, PROVIDER, answerAsRequested, chat, pastEvent, rollupMismatches, rows } from './_unpriced'

const PRICE = { input: 3, cachedInput: 1, cacheWrite: 6, output: 15 }
const ENCODED = `registry/overrides/${PROVIDER}/${encodeURIComponent(MODEL)}`
/** 60k input at 3, 40k cached at 1, 20k output at 15 */
const PROXIED_COST = 0.52

let up: FakeUpstream
let lectr: TestLectr
const past = {
  unpriced: pastEvent(2),
  withCacheWrites: pastEvent(3, { cacheWriteTokens: 10_000 }),
  priced: pastEvent(3, { costUsd: 0.5, registryVersion: 'old-registry' }),
  tooOld: pastEvent(10),
  noTokens: pastEvent(1, { inputTokens: null, cachedInputTokens: null, outputTokens: null, reasoningTokens: null }),
  otherModel: pastEvent(2, { model: 'lab/other', responseModel: 'lab/other' }),
}

function event(id: string): any {
  return rows(lectr, 'SELECT * FROM events WHERE id = ?', id)[0]
}

beforeAll(async () => {
  up = new FakeUpstream()
  answerAsRequested(up)
  lectr = await startLectr(up)
  for (const e of Object.values(past)) lectr.running.writer.enqueue(e)
  lectr.running.writer.flush()
})

afterAll(async () => {
  await lectr.stop()
  up.stop()
})

describe('price overrides and re-pricing over the admin API', () => {
  let overridesVersion = ''
  const proxiedBefore: string[] = []

  test('a model no registry prices is recorded without a cost', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await chat(lectr)
      expect(res.status).toBe(200)
      proxiedBefore.push(res.headers.get('x-lectr-request-id')!)
      await res.text()
    }
    for (const id of proxiedBefore) {
      const e = event(id)
      expect(e.cost_usd).toBeNull()
      expect(e.input_tokens).toBe(100_000)
      expect(e.registry_version).toBe(builtinRegistry().version)
    }
    expect(rollupMismatches(lectr)).toEqual([])
  })

  test('bad override bodies are refused with every problem, and nothing is stored', async () => {
    const res = await lectr.api(ENCODED, { method: 'PUT', body: JSON.stringify({ price: { input: -1, output: 'x', tiers: [] }, extra: 1 }) })
    expect(res.status).toBe(400)
    const body = (await res.json()) as any
    expect(body.error.code).toBe('lectr_invalid_body')
    const problems: string[] = body.error.problems
    for (const where of ['/price/input', '/price/output', '/price/tiers', '/extra']) expect(problems.some((p) => p.startsWith(where))).toBe(true)

    const missing = (await (await lectr.api(ENCODED, { method: 'PUT', body: JSON.stringify({ price: {} }) })).json()) as any
    expect(missing.error.problems.filter((p: string) => p.startsWith('/price/input') || p.startsWith('/price/output')).length).toBeGreaterThanOrEqual(2)

    const huge = await lectr.api(ENCODED, { method: 'PUT', body: '{"price":{"input":1e400,"output":1}}' })
    expect(huge.status).toBe(400)

    const badProvider = (await (await lectr.api(`registry/overrides/nope/${encodeURIComponent(MODEL)}`, { method: 'PUT', body: JSON.stringify({ price: PRICE }) })).json()) as any
    expect(badProvider.error.problems[0]).toStartWith('provider: expected one of openai anthropic groq gemini azure')

    const notJson = await lectr.api(ENCODED, { method: 'PUT', body: '{price:' })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as any).error.problems).toEqual(['body is not valid JSON'])

    const noToken = await fetch(`${lectr.url}/api/${ENCODED}`, { method: 'PUT', body: JSON.stringify({ price: PRICE }) })
    expect(noToken.status).toBe(401)

    expect(((await (await lectr.api('registry/overrides')).json()) as any).overrides).toEqual([])
  })

  test('PUT adds a price for a model id with a slash (URL-encoded): 201, then 200 when replaced; GET lists it', async () => {
    const created = await lectr.api(ENCODED, { method: 'PUT', body: JSON.stringify({ price: { input: 1, output: 2 } }) })
    expect(created.status).toBe(201)
    expect(((await created.json()) as any).model).toBe(MODEL)
    const replaced = await lectr.api(ENCODED, { method: 'PUT', body: JSON.stringify({ price: PRICE }) })
    expect(replaced.status).toBe(200)
    const list = (await (await lectr.api('registry/overrides')).json()) as any
    expect(list.overrides).toHaveLength(1)
    expect(list.overrides[0]).toMatchObject({ provider: PROVIDER, model: MODEL, price: PRICE })
    expect(list.registryVersion).toMatch(new RegExp(`^${builtinRegistry().version.replace(/[.]/g, '\\.')}\\+overrides-[0-9a-f]{8}$`))
    overridesVersion = list.registryVersion
  })

  test('a new request is priced with the override, and says so in its registry version', async () => {
    const res = await chat(lectr)
    const id = res.headers.get('x-lectr-request-id')!
    await res.text()
    const e = event(id)
    expect(e.cost_usd).toBe(PROXIED_COST)
    expect(e.registry_version).toBe(overridesVersion)
    // A model the registry prices keeps the registry's version.
    const priced = await chat(lectr, 'gpt-4o', 'openai')
    const pricedId = priced.headers.get('x-lectr-request-id')!
    await priced.text()
    expect(event(pricedId).registry_version).toBe(builtinRegistry().version)
    expect(event(pricedId).cost_usd).toBeGreaterThan(0)
  })

  test('re-pricing the past week prices exactly the events with token counts and no cost, roll-ups included', async () => {
    const now = Date.now()
    const res = await lectr.api('orgs/default/reprice', { method: 'POST', body: JSON.stringify({ since: new Date(now - 7 * DAY_MS).toISOString() }) })
    expect(res.status).toBe(200)
    const result = (await res.json()) as any
    // 2 proxied before the price (0.52 each), 2 days ago (50k input, 10k output: 0.30), 3 days ago with 10k cache
    // writes (40k at 3, 10k at 6, 10k output at 15: 0.33).
    expect(result).toMatchObject({ repriced: 4, costUsd: 1.67, stillUnpriced: 1, withoutTokenCounts: 1 })

    for (const id of proxiedBefore) expect(event(id)).toMatchObject({ cost_usd: PROXIED_COST, registry_version: overridesVersion })
    expect(event(past.unpriced.id)).toMatchObject({ cost_usd: 0.3, registry_version: overridesVersion })
    expect(event(past.withCacheWrites.id)).toMatchObject({ cost_usd: 0.33, registry_version: overridesVersion })
    // Never touched: a priced event (even of the same model), one outside the window, one without token counts, one still unpriced.
    expect(event(past.priced.id)).toMatchObject({ cost_usd: 0.5, registry_version: 'old-registry' })
    expect(event(past.tooOld.id)).toMatchObject({ cost_usd: null, registry_version: 'old-registry' })
    expect(event(past.noTokens.id)).toMatchObject({ cost_usd: null, registry_version: 'old-registry' })
    expect(event(past.otherModel.id)).toMatchObject({ cost_usd: null, registry_version: 'old-registry' })

    expect(rollupMismatches(lectr)).toEqual([])

    const models = (await (await lectr.api(`orgs/default/models?since=${now - 7 * DAY_MS}`)).json()) as any
    const row = models.rows.find((r: any) => r.model === MODEL && r.provider === PROVIDER)
    // 3 proxied (0.52) + 0.30 + 0.33 + the priced 0.50; the event without token counts stays unpriced.
    expect(row.costUsd).toBeCloseTo(2.69, 9)
    expect(row.unpricedRequests).toBe(1)
    expect(row.requests).toBe(7)
  })

  test('a second re-price changes nothing', async () => {
    const before = rows(lectr, 'SELECT id, cost_usd, registry_version FROM events ORDER BY id')
    const rollups = rows(lectr, 'SELECT * FROM rollups_hourly ORDER BY hour, provider, model, feature, task')
    const res = await lectr.api('orgs/default/reprice', { method: 'POST', body: JSON.stringify({ since: Date.now() - 7 * DAY_MS, until: Date.now() }) })
    expect(((await res.json()) as any)).toMatchObject({ repriced: 0, costUsd: 0, stillUnpriced: 1, withoutTokenCounts: 1 })
    expect(rows(lectr, 'SELECT id, cost_usd, registry_version FROM events ORDER BY id')).toEqual(before)
    expect(rows(lectr, 'SELECT * FROM rollups_hourly ORDER BY hour, provider, model, feature, task')).toEqual(rollups)
  })

  test('bad re-price bodies are refused with every problem; an unknown org is 404', async () => {
    const none = await lectr.api('orgs/default/reprice', { method: 'POST', body: '{}' })
    expect(none.status).toBe(400)
    expect(((await none.json()) as any).error.problems).toEqual(['/since: required (an ISO 8601 time or ms since the epoch)'])
    const bad = (await (await lectr.api('orgs/default/reprice', { method: 'POST', body: JSON.stringify({ since: 'last week', until: true, org: 'x' }) })).json()) as any
    expect(bad.error.problems).toHaveLength(3)
    const backwards = await lectr.api('orgs/default/reprice', { method: 'POST', body: JSON.stringify({ since: 2000, until: 1000 }) })
    expect(((await backwards.json()) as any).error.problems).toEqual(['/since: must not be after until'])
    expect((await lectr.api('orgs/nope/reprice', { method: 'POST', body: JSON.stringify({ since: 0 }) })).status).toBe(404)
  })

  test('a model id sent with a raw slash works too', async () => {
    const res = await lectr.api('registry/overrides/groq/lab/raw/model', { method: 'PUT', body: JSON.stringify({ price: { input: 1, output: 1 } }) })
    expect(res.status).toBe(201)
    expect(((await res.json()) as any).model).toBe('lab/raw/model')
    expect((await lectr.api('registry/overrides/groq/lab/raw/model', { method: 'DELETE' })).status).toBe(204)
  })

  test('DELETE removes the price: 204, then 404; new requests are unpriced again', async () => {
    const removed = await lectr.api(ENCODED, { method: 'DELETE' })
    expect(removed.status).toBe(204)
    expect((await lectr.api(ENCODED, { method: 'DELETE' })).status).toBe(404)
    expect(((await (await lectr.api('registry/overrides')).json()) as any)).toEqual({ overrides: [], registryVersion: null })
    const res = await chat(lectr)
    const id = res.headers.get('x-lectr-request-id')!
    await res.text()
    expect(event(id)).toMatchObject({ cost_usd: null, registry_version: builtinRegistry().version })
    // Re-priced events keep their cost.
    expect(event(proxiedBefore[0]!).cost_usd).toBe(PROXIED_COST)
  })
})

describe('overrides live in the database', () => {
  test('a price added before a restart prices requests after it', async () => {
    const upstream = new FakeUpstream()
    answerAsRequested(upstream)
    const first = await startLectr(upstream)
    try {
      expect((await first.api(ENCODED, { method: 'PUT', body: JSON.stringify({ price: PRICE }) })).status).toBe(201)
      // The default org key was shown, so the next start keeps it.
      await first.running.credentialsShown()
      await first.running.stop()
      const { startServer } = await import('../../src/server')
      const { parseConfig } = await import('../../src/config')
      const parsed = parseConfig([], {
        LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: first.dbPath, LECTR_ADMIN_TOKEN: 'test-admin-token-0123456789',
        LECTR_GROQ_BASE_URL: upstream.baseUrl, LECTR_ALLOW_PRIVATE_UPSTREAMS: '1',
      })
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
      const again = await startServer(parsed.config, { log: () => {} })
      try {
        const key = first.orgKey
        const res = await fetch(`${again.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-lectr-key': key, 'x-lectr-provider': 'groq', authorization: 'Bearer k' },
          body: JSON.stringify({ model: MODEL, messages: [] }),
        })
        const id = res.headers.get('x-lectr-request-id')!
        expect(res.status).toBe(200)
        await res.text()
        again.writer.flush()
        const { Database } = await import('bun:sqlite')
        const db = new Database(first.dbPath, { readonly: true })
        const e = db.query('SELECT cost_usd, registry_version FROM events WHERE id = ?').get(id) as any
        db.close()
        expect(e.cost_usd).toBe(PROXIED_COST)
        expect(e.registry_version).toContain('+overrides-')
      } finally {
        await again.stop()
      }
    } finally {
      await first.stop()
      upstream.stop()
    }
  })
})
