import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import { fetchFrom } from '../helpers/from-address'
import { answerOf, errorOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

describe('admin auth', () => {
  test('/api/health needs no token', async () => {
    const res = await fetch(`${lectr.url}/api/health`)
    expect(res.status).toBe(200)
    const body = await answerOf(res, 'health')
    expect(body.status).toBe('ok')
    expect(body.version).toBeString()
  })
  test('every other route refuses a missing or wrong token with 401', async () => {
    // Each route asked from its own loopback address: 2 wrong tokens each stay under the throttle's free failures.
    let from = 10
    for (const [method, path] of [
      ['GET', 'orgs'], ['POST', 'orgs'], ['GET', 'registry'], ['POST', 'registry/reload'], ['GET', 'orgs/default/events'],
      ['GET', 'orgs/default/models'], ['POST', 'orgs/default/keys'], ['DELETE', 'orgs/default/keys/x'],
      ['GET', 'orgs/default/providers/azure'], ['GET', 'orgs/default/recommendations'],
    ]) {
      from++
      for (const auth of [undefined, 'Bearer wrong-token', 'test-admin-token-0123456789x']) {
        const res = await fetchFrom(`127.0.0.${from}`, `${lectr.url}/api/${path}`, { method, headers: auth ? { authorization: auth } : {} })
        expect(res.status).toBe(401)
        expect((await errorOf(res)).error.code).toBe('lectr_unauthorized')
      }
    }
  })
})

describe('orgs and keys', () => {
  test('the default org exists; create an org: 201 with its key once; the key works on /v1', async () => {
    const list = await answerOf(await lectr.api('orgs'), 'orgs')
    expect(list.orgs.map((o) => o.id)).toContain('default')
    const res = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'Team Search' }) })
    expect(res.status).toBe(201)
    const org = await answerOf(res, 'createdOrg')
    expect(org).toMatchObject({ id: 'team-search', name: 'Team Search' })
    expect(org.key).toStartWith('lectr_org_')
    const proxied = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-key': org.key })
    expect(proxied.status).toBe(200)
    expect(lectr.events().at(-1).org_id).toBe('team-search')
    // the key is never shown again
    const keys = await answerOf(await lectr.api('orgs/team-search/keys'), 'keys')
    expect(JSON.stringify(keys)).not.toContain(org.key)
    const dup = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'team search' }) })
    expect(dup.status).toBe(409)
  })

  test('a bad org body: 400 listing every problem, nothing created', async () => {
    const before = (await answerOf(await lectr.api('orgs'), 'orgs')).orgs.length
    for (const body of ['{', '[]', '{"name": 5}', '{"name": ""}', '{"name": "ok", "extra": 1}', '']) {
      const res = await lectr.api('orgs', { method: 'POST', body })
      expect(res.status).toBe(400)
      const err = await errorOf(res)
      expect(err.error.problems?.length).toBeGreaterThan(0)
    }
    expect((await answerOf(await lectr.api('orgs'), 'orgs')).orgs.length).toBe(before)
  })

  test('add a key, use it, revoke it: it stops working', async () => {
    const created = await answerOf(await lectr.api('orgs/default/keys', { method: 'POST', body: JSON.stringify({ label: 'ci' }) }), 'createdKey')
    expect(created.key).toStartWith('lectr_org_')
    expect((await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-key': created.key })).status).toBe(200)
    const del = await lectr.api(`orgs/default/keys/${created.id}`, { method: 'DELETE' })
    expect(del.status).toBe(200)
    expect((await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-key': created.key })).status).toBe(401)
    expect((await lectr.api(`orgs/default/keys/${created.id}`, { method: 'DELETE' })).status).toBe(404)
    expect((await lectr.api('orgs/nope/keys', { method: 'POST', body: '{}' })).status).toBe(404)
  })

  test('keys and the admin token are stored only hashed', async () => {
    const created = await answerOf(await lectr.api('orgs/default/keys', { method: 'POST', body: '{}' }), 'createdKey')
    lectr.running.writer.flush()
    const bytes = await Bun.file(lectr.dbPath).text()
    const wal = await Bun.file(lectr.dbPath + '-wal').exists() ? await Bun.file(lectr.dbPath + '-wal').text() : ''
    for (const secret of [created.key, lectr.orgKey, 'test-admin-token-0123456789']) {
      expect(bytes.includes(secret)).toBe(false)
      expect(wal.includes(secret)).toBe(false)
    }
  })
})

describe('registry', () => {
  test('GET /api/registry: the registry in force in its file format plus status', async () => {
    const body = await answerOf(await lectr.api('registry'), 'registry')
    expect(body.version).toBeString()
    expect(body.models.length).toBeGreaterThan(20)
    expect(body.providers?.length).toBe(5)
    expect(body.status).toMatchObject({ source: 'builtin', lastError: null })
    expect(body.status.loadedAt).toBeString()
  })
})

describe('events and models routes', () => {
  test('events: newest first, filters, cursor pagination; bad queries 400', async () => {
    for (let i = 0; i < 5; i++) await (await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-feature': `f${i % 2}` })).text()
    const page1 = await answerOf(await lectr.api('orgs/default/events?limit=2'), 'events')
    expect(page1.events.length).toBe(2)
    expect(page1.next).toBeString()
    expect(page1.events[0].id > page1.events[1].id).toBe(true)
    const page2 = await answerOf(await lectr.api(`orgs/default/events?limit=2&cursor=${page1.next}`), 'events')
    expect(page2.events[0].id < page1.events[1].id).toBe(true)
    const f1 = await answerOf(await lectr.api('orgs/default/events?feature=f1&limit=100'), 'events')
    expect(f1.events.length).toBeGreaterThan(0)
    expect(f1.events.every((e) => e.feature === 'f1')).toBe(true)
    const e = page1.events[0]
    for (const field of ['id', 'time', 'org', 'provider', 'providerUnknown', 'detection', 'model', 'responseModel', 'endpoint', 'stream',
      'status', 'errorCode', 'inputTokens', 'cachedInputTokens', 'outputTokens', 'reasoningTokens', 'costUsd', 'latencyMs', 'ttfbMs', 'feature', 'task']) {
      expect(e).toHaveProperty(field)
    }
    for (const q of ['limit=0', 'limit=abc', 'provider=foo', 'task=poetry', 'since=yesterday']) {
      const res = await lectr.api(`orgs/default/events?${q}`)
      expect(res.status).toBe(400)
    }
    expect((await lectr.api('orgs/nope/events')).status).toBe(404)
  })

  test('models: the distribution per model and provider', async () => {
    const body = await answerOf(await lectr.api('orgs/default/models'), 'models')
    const row = body.rows.find((r) => r.model === 'gpt-4o')!
    expect(row).toMatchObject({ provider: 'openai' })
    expect(row.requests).toBeGreaterThan(0)
    expect(row.costUsd).toBeGreaterThan(0)
    for (const f of ['avgLatencyMs', 'inputTokens', 'outputTokens', 'unpricedRequests']) expect(row).toHaveProperty(f)
    const groq = await answerOf(await lectr.api('orgs/default/models?provider=groq'), 'models')
    expect(groq.rows.every((r) => r.provider === 'groq')).toBe(true)
  })
})
