/**
 * Anthropic's native Messages API through Lectr with the official Anthropic SDK (SPEC section 8), pointed at
 * `http://127.0.0.1:PORT` with no `/v1`, as its users and Claude Code do. The fake upstream answers with cache
 * reads, 5-minute and 1-hour cache writes, and repeated fields in `message_delta`; expected costs are worked out here
 * from the built-in registry file's prices.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FakeUpstream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { anthropicScript, messageStreamBlocks, type AnthropicPlan, type AnthropicSent, type AnthropicTokens } from './fake-anthropic'
import { answerOf } from '../helpers/json'

const builtin = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))
const priceOf = (id: string) => builtin.models.find((m: any) => m.id === id).price

/** The SPEC's formula at the registry file's prices, rounded as costs are stored (1e-10 USD). */
function expectedCost(id: string, t: AnthropicTokens): number {
  const p = priceOf(id)
  const perMillion = t.input * p.input + t.cacheRead * p.cachedInput + t.write5m * p.cacheWrite + t.write1h * p.cacheWrite1h + t.output * p.output
  return Math.round((perMillion / 1e6) * 1e10) / 1e10
}

const TOKENS: AnthropicTokens = { input: 25, cacheRead: 10_000, write5m: 1_000, write1h: 2_000, output: 42 }
const PLAN: AnthropicPlan = { model: 'claude-sonnet-4-5-20250929', tokens: TOKENS }

let anthropicFake: FakeUpstream
let openaiFake: FakeUpstream
let lectr: TestLectr
let client: Anthropic
const sent: AnthropicSent[] = []
/** the headers the SDK put on the wire, newest last */
const sdkHeaders: Headers[] = []
const recordingFetch = (async (url: Parameters<typeof fetch>[0], init?: RequestInit) => {
  sdkHeaders.push(new Headers(init?.headers))
  return fetch(url, init)
}) as typeof fetch

beforeAll(async () => {
  anthropicFake = new FakeUpstream()
  openaiFake = new FakeUpstream()
  lectr = await startLectr(openaiFake, {}, { LECTR_ANTHROPIC_BASE_URL: anthropicFake.baseUrl })
  client = new Anthropic({ baseURL: lectr.url, apiKey: 'sk-ant-test-key', maxRetries: 0, fetch: recordingFetch, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
})
afterAll(async () => {
  await lectr.stop()
  anthropicFake.stop()
  openaiFake.stop()
})

async function eventFor(id: string | null): Promise<any> {
  expect(id).toBeTruthy()
  return eventually(() => lectr.events().find((e) => e.id === id))
}

function expectMetered(e: any, t: AnthropicTokens, stream: boolean) {
  expect({
    provider: e.provider, detection: e.detection, endpoint: e.endpoint, stream: e.stream, status: e.status,
    input: e.input_tokens, cached: e.cached_input_tokens, write: e.cache_write_tokens, write1h: e.cache_write_1h_tokens,
    output: e.output_tokens, responseModel: e.response_model, estimated: e.usage_estimated, cost: e.cost_usd,
  }).toEqual({
    provider: 'anthropic', detection: 'endpoint', endpoint: 'messages', stream: stream ? 1 : 0, status: 200,
    input: t.input + t.cacheRead + t.write5m + t.write1h, cached: t.cacheRead, write: t.write5m, write1h: t.write1h,
    output: t.output, responseModel: PLAN.model, estimated: 0, cost: expectedCost('claude-sonnet-4-5-20250929', t),
  })
}

describe('the Anthropic SDK pointed at Lectr without /v1', () => {
  test('JSON: cache reads and both cache writes in the input, each at its price; headers arrive untouched', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent)
    const { data, response } = await client.messages
      .create(
        { model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'anthropic-beta': 'extended-cache-ttl-2025-04-11' } },
      )
      .withResponse()
    expect(data.usage.cache_read_input_tokens).toBe(TOKENS.cacheRead)
    expect(response.headers.get('x-lectr-provider')).toBe('anthropic')
    const got = anthropicFake.last
    expect(got.url.pathname).toBe('/v1/messages')
    // whatever credentials and anthropic-* headers the SDK sends (its versions differ) arrive as they were sent
    const wire = sdkHeaders[sdkHeaders.length - 1]!
    expect(wire.get('anthropic-version')).toBeTruthy()
    expect(wire.get('x-api-key') ?? wire.get('authorization')).toContain('sk-ant-test-key')
    for (const name of ['anthropic-version', 'anthropic-beta', 'x-api-key', 'authorization']) expect(got.headers.get(name)).toBe(wire.get(name))
    expect(got.headers.get('anthropic-beta')).toBe('extended-cache-ttl-2025-04-11')
    expect(got.headers.get('x-lectr-key')).toBeNull()
    const e = await eventFor(response.headers.get('x-lectr-request-id'))
    expectMetered(e, TOKENS, false)
    // 25 × $3 + 10,000 × $0.30 + 1,000 × $3.75 + 2,000 × $6 + 42 × $15, per million
    expect(e.cost_usd).toBe(0.019455)
  })

  test('streamed: message_start and the repeated, cumulative message_delta fields count once, latest value', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent)
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] })
    const text: string[] = []
    stream.on('text', (t) => text.push(t))
    const final = await stream.finalMessage()
    expect(text.join('')).toBe('Hello, wörld 👋')
    expect(final.usage.output_tokens).toBe(TOKENS.output)
    const { response } = await stream.withResponse()
    // Anthropic sends usage unasked: Lectr adds no stream_options to the request
    expect(JSON.parse(anthropicFake.last.body).stream_options).toBeUndefined()
    expectMetered(await eventFor(response.headers.get('x-lectr-request-id')), TOKENS, true)
  })

  test('streamed bytes reach the client exactly as Anthropic sent them; x-api-key and anthropic-version arrive untouched', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent)
    const res = await fetch(`${lectr.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-lectr-key': lectr.orgKey, 'x-api-key': 'sk-ant-test-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(await res.text()).toBe(messageStreamBlocks(PLAN).join(''))
    expect(anthropicFake.last.headers.get('x-api-key')).toBe('sk-ant-test-key')
    expect(anthropicFake.last.headers.get('anthropic-version')).toBe('2023-06-01')
    expectMetered(await eventFor(res.headers.get('x-lectr-request-id')), TOKENS, true)
  })

  test('writes without a 5-minute/1-hour split are priced as 5-minute writes', async () => {
    anthropicFake.script = (_req, received) => {
      expect(received.url.pathname).toBe('/v1/messages')
      return Response.json({
        id: 'msg_02', type: 'message', role: 'assistant', model: 'claude-haiku-4-5-20251001', content: [], stop_reason: 'end_turn',
        usage: { input_tokens: 100, cache_creation_input_tokens: 4000, cache_read_input_tokens: 0, output_tokens: 10 },
      })
    }
    const { response } = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }).withResponse()
    const e = await eventFor(response.headers.get('x-lectr-request-id'))
    expect([e.input_tokens, e.cached_input_tokens, e.cache_write_tokens, e.cache_write_1h_tokens, e.output_tokens]).toEqual([4100, 0, 4000, 0, 10])
    expect(e.cost_usd).toBe(expectedCost('claude-haiku-4-5-20251001', { input: 100, cacheRead: 0, write5m: 4000, write1h: 0, output: 10 }))
  })

  test('count_tokens goes to Anthropic and is recorded with 0 input tokens and $0', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent, 4321)
    const { data, response } = await client.messages
      .countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(data.input_tokens).toBe(4321)
    expect(anthropicFake.last.url.pathname).toBe('/v1/messages/count_tokens')
    const e = await eventFor(response.headers.get('x-lectr-request-id'))
    expect([e.provider, e.endpoint, e.status, e.input_tokens, e.output_tokens, e.cost_usd]).toEqual(['anthropic', 'messages/count_tokens', 200, 0, 0, 0])
  })

  test('X-Lectr-Provider: openai, or a model of another provider, still goes to Anthropic', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent)
    const before = openaiFake.received.length
    const { response } = await client.messages
      .create({ model: 'gpt-4o', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Lectr-Provider': 'openai' } })
      .withResponse()
    expect(openaiFake.received.length).toBe(before)
    expect(anthropicFake.last.url.pathname).toBe('/v1/messages')
    expect(anthropicFake.last.headers.get('x-lectr-provider')).toBeNull()
    const e = await eventFor(response.headers.get('x-lectr-request-id'))
    expect([e.provider, e.detection, e.provider_unknown, e.model, e.response_model]).toEqual(['anthropic', 'endpoint', 0, 'gpt-4o', PLAN.model])
  })

  test('Authorization: Bearer (the SDK authToken, Claude Code ANTHROPIC_AUTH_TOKEN) is forwarded untouched', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent)
    const bearer = new Anthropic({ baseURL: lectr.url, authToken: 'sk-ant-oauth-token', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
    await bearer.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] })
    expect(anthropicFake.last.headers.get('authorization')).toBe('Bearer sk-ant-oauth-token')
    expect(anthropicFake.last.headers.get('x-api-key')).toBeNull()
  })

  test('a stream cut before message_delta: input and cache counts kept, output estimated from the text', async () => {
    anthropicFake.script = anthropicScript({ ...PLAN, pieces: ['abcdefgh', 'ijkl'], breakBeforeDelta: true }, sent)
    const res = await fetch(`${lectr.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-lectr-key': lectr.orgKey, 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, stream: true, messages: [] }),
    })
    await res.text().catch(() => '')
    const e = await eventFor(res.headers.get('x-lectr-request-id'))
    expect([e.input_tokens, e.cached_input_tokens, e.cache_write_tokens, e.cache_write_1h_tokens]).toEqual([13_025, 10_000, 1_000, 2_000])
    expect([e.output_tokens, e.usage_estimated, e.error_code]).toEqual([3, 1, 'lectr_upstream_broken'])
  })

  test('the events and models APIs carry the cache write fields', async () => {
    anthropicFake.script = anthropicScript(PLAN, sent)
    const { response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }).withResponse()
    const id = response.headers.get('x-lectr-request-id')
    await eventFor(id)
    const { events } = await answerOf(await lectr.api('orgs/default/events?limit=50'), 'events')
    const e = events.find((x) => x.id === id)!
    expect([e.inputTokens, e.cachedInputTokens, e.cacheWriteTokens, e.cacheWrite1hTokens, e.endpoint]).toEqual([13_025, 10_000, 1_000, 2_000, 'messages'])
    const { rows } = await answerOf(await lectr.api('orgs/default/models?provider=anthropic'), 'models')
    const sums = lectr.events().filter((x) => x.provider === 'anthropic' && x.model === 'claude-sonnet-4-5')
    const row = rows.find((r) => r.model === 'claude-sonnet-4-5')!
    const total = (k: string) => sums.reduce((n: number, x: any) => n + (x[k] ?? 0), 0)
    expect([row.cachedInputTokens, row.cacheWriteTokens, row.cacheWrite1hTokens]).toEqual([
      total('cached_input_tokens'), total('cache_write_tokens'), total('cache_write_1h_tokens'),
    ])
    expect(row.cacheWrite1hTokens).toBeGreaterThan(0)
  })
})
