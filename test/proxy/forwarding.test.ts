import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { errorOf, openaiAnswerOf } from '../helpers/json'

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
beforeEach(() => {
  up.script = () => chatJson()
})

describe('org key', () => {
  test('missing key: 401 in the OpenAI error shape, upstream untouched, no event', async () => {
    const before = up.received.length
    const res = await fetch(`${lectr.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"gpt-4o"}' })
    expect(res.status).toBe(401)
    const body = await errorOf(res)
    expect(body.error.code).toBe('lectr_missing_org_key')
    expect(body.error.type).toBeString()
    expect(up.received.length).toBe(before)
  })
  test('wrong key: 401, upstream untouched', async () => {
    const before = up.received.length
    const events = lectr.events().length
    const res = await lectr.post('chat/completions', { model: 'gpt-4o' }, { 'x-lectr-key': 'lectr_org_wrong' })
    expect(res.status).toBe(401)
    expect((await errorOf(res)).error.code).toBe('lectr_invalid_org_key')
    expect(up.received.length).toBe(before)
    expect(lectr.events().length).toBe(events)
  })
})

describe('forwarding', () => {
  test('routes, body and provider key reach the upstream unchanged; Lectr headers do not', async () => {
    for (const path of ['chat/completions', 'completions', 'embeddings', 'responses']) {
      const body = { model: 'gpt-4o', input: 'x', messages: [{ role: 'user', content: 'hi' }] }
      const res = await lectr.post(path, body, {
        'x-lectr-feature': 'search',
        'x-lectr-task': 'classification',
        'openai-organization': 'org-1',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': 'secret-hop',
        'proxy-authorization': 'Basic abc',
      })
      expect(res.status).toBe(200)
      const got = up.last
      expect(got.url.pathname).toBe(`/v1/${path}`)
      expect(JSON.parse(got.body)).toEqual(body)
      expect(got.headers.get('authorization')).toBe('Bearer provider-key-123')
      expect(got.headers.get('openai-organization')).toBe('org-1')
      for (const name of ['x-lectr-key', 'x-lectr-feature', 'x-lectr-task', 'x-drop-me', 'proxy-authorization']) {
        expect(got.headers.get(name)).toBeNull()
      }
      expect(res.headers.get('x-lectr-provider')).toBe('openai')
      expect(res.headers.get('x-lectr-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  test('the answer keeps the provider status, body and headers (hop-by-hop aside)', async () => {
    up.script = () =>
      new Response('{"error":{"message":"rate limited","type":"requests","code":"rate_limit_exceeded"}}', {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '7', 'x-ratelimit-remaining-requests': '0', 'keep-alive': 'timeout=5' },
      })
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0')
    expect(res.headers.get('keep-alive')).toBeNull()
    expect((await errorOf(res)).error.code).toBe('rate_limit_exceeded')
    const e = lectr.events().at(-1)
    expect(e.status).toBe(429)
    expect(e.error_code).toBe('rate_limit_exceeded')
  })

  test('several set-cookie headers stay separate; headers the upstream names in Connection and encodings do not pass', async () => {
    up.script = () => {
      const h = new Headers({ 'content-type': 'application/json', connection: 'x-hop-only', 'x-hop-only': '1', 'x-kept': 'yes' })
      h.append('set-cookie', '__cf_bm=a; Path=/; HttpOnly')
      h.append('set-cookie', '_cfuvid=b; Path=/')
      return new Response('{"ok":true}', { headers: h })
    }
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-something-new': 'private', cookie: 'sid=1' })
    expect(res.status).toBe(200)
    expect(res.headers.getSetCookie()).toEqual(['__cf_bm=a; Path=/; HttpOnly', '_cfuvid=b; Path=/'])
    expect(res.headers.get('x-hop-only')).toBeNull()
    expect(res.headers.get('x-kept')).toBe('yes')
    expect(res.headers.get('content-encoding')).toBeNull()
    expect(res.headers.get('x-lectr-provider')).toBe('openai')
    expect(up.last.headers.get('x-lectr-something-new')).toBeNull()
    expect(up.last.headers.get('cookie')).toBeNull()
  })

  test('any other /v1 path and its query go to the resolved provider unchanged', async () => {
    up.script = (_req, rec) => Response.json({ path: rec.url.pathname, search: rec.url.search })
    const res = await fetch(`${lectr.url}/v1/files/file-abc/content?limit=2`, {
      headers: { 'x-lectr-key': lectr.orgKey, authorization: 'Bearer pk', 'x-lectr-provider': 'groq' },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ path: '/v1/files/file-abc/content', search: '?limit=2' })
    expect(res.headers.get('x-lectr-provider')).toBe('groq')
  })

  test('JSON answers without a body (HEAD, 204, 304) pass through bodiless, each one event', async () => {
    const headers = { 'x-lectr-key': lectr.orgKey, authorization: 'Bearer pk', 'x-lectr-provider': 'openai' }
    up.script = (req) => new Response(null, { status: req.method === 'HEAD' ? 200 : 204, headers: { 'content-type': 'application/json' } })
    const events = lectr.events().length
    const head = await fetch(`${lectr.url}/v1/files/file-abc`, { method: 'HEAD', headers })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const deleted = await fetch(`${lectr.url}/v1/files/file-abc`, { method: 'DELETE', headers })
    expect(deleted.status).toBe(204)
    expect(await deleted.text()).toBe('')
    up.script = () => new Response(null, { status: 304, headers: { 'content-type': 'application/json', etag: '"v1"' } })
    const cached = await fetch(`${lectr.url}/v1/files/file-abc`, { headers: { ...headers, 'if-none-match': '"v1"' } })
    expect(cached.status).toBe(304)
    expect(cached.headers.get('etag')).toBe('"v1"')
    const recorded = lectr.events().slice(events)
    expect(recorded.map((e) => e.status)).toEqual([200, 204, 304])
    expect(recorded.every((e) => e.error_code === null && e.input_tokens === null && e.cost_usd === null)).toBe(true)
  })

  test('a bare ? and a fragment are not part of the query sent on', async () => {
    up.script = (_req, rec) => Response.json({ path: rec.url.pathname, search: rec.url.search })
    const headers = { 'x-lectr-key': lectr.orgKey, authorization: 'Bearer pk', 'x-lectr-provider': 'openai' }
    const res = await fetch(`${lectr.url}/v1/files?`, { headers })
    expect(await res.json()).toEqual({ path: '/v1/files', search: '' })
    expect(up.last.url.href.endsWith('/v1/files')).toBe(true)
  })

  test('GET /v1/models lists the registry in the OpenAI list shape and is not an event', async () => {
    const before = lectr.events().length
    const res = await fetch(`${lectr.url}/v1/models`, { headers: { 'x-lectr-key': lectr.orgKey } })
    expect(res.status).toBe(200)
    const body = await openaiAnswerOf(res, 'models')
    expect(body.object).toBe('list')
    const ids = body.data.map((m) => m.id)
    for (const id of ['gpt-4o', 'claude-3-5-sonnet-20241022', 'llama-3.1-8b-instant', 'gemini-1.5-pro']) expect(ids).toContain(id)
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: expect.any(String) })
    expect(lectr.events().length).toBe(before)
  })
})

describe('bad input', () => {
  test('invalid X-Lectr-Provider: 400 listing the valid values, upstream untouched, one event', async () => {
    const before = up.received.length
    const events = lectr.events().length
    const res = await lectr.post('chat/completions', { model: 'gpt-4o' }, { 'x-lectr-provider': 'openia' })
    expect(res.status).toBe(400)
    const body = await errorOf(res)
    expect(body.error.code).toBe('lectr_invalid_provider')
    for (const p of ['openai', 'anthropic', 'groq', 'gemini', 'azure']) expect(body.error.message).toContain(p)
    expect(up.received.length).toBe(before)
    expect(lectr.events().length).toBe(events + 1)
    expect(lectr.events().at(-1).status).toBe(400)
  })

  test('malformed JSON, a JSON array and a wrong-typed body: 400 lectr_invalid_json, upstream untouched', async () => {
    const before = up.received.length
    for (const body of ['{"model": "gpt-4o",', '[1,2]', '"text"', '']) {
      const res = await lectr.post('chat/completions', body)
      expect(res.status).toBe(400)
      expect((await errorOf(res)).error.code).toBe('lectr_invalid_json')
    }
    expect(up.received.length).toBe(before)
  })

  test('an unknown X-Lectr-Task never blocks: forwarded, warned, recorded without a task', async () => {
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-task': 'poetry' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-lectr-warning')).toContain('poetry')
    const e = lectr.events().at(-1)
    expect(e.task).toBeNull()
  })
})
