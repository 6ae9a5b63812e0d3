/**
 * Routing rules in the proxy (SPEC section 9), over real sockets with the official OpenAI SDK against fake
 * providers: where each request goes (model, body bytes, key), the client's answer and X-Lectr-Route, and every
 * routing field of the event, costs checked against the registry file's prices.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { answerOf, openaiAnswerOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { inCanary } from '../../src/routing/canary'
import { costAt, echoModel, eventOf, putRules, sdk, USAGE } from './_setup'

let openai: FakeUpstream
let anthropic: FakeUpstream
let groq: FakeUpstream
let lectr: TestLectr
const ANT_KEY = 'sk-ant-api03-routing-test-key-0123456789'

beforeAll(async () => {
  openai = new FakeUpstream()
  anthropic = new FakeUpstream()
  groq = new FakeUpstream()
  lectr = await startLectr(openai, {}, {
    LECTR_ANTHROPIC_BASE_URL: anthropic.baseUrl,
    LECTR_GROQ_BASE_URL: groq.baseUrl,
    // nothing listens there: a provider that cannot be reached
    LECTR_GEMINI_BASE_URL: 'http://127.0.0.1:9/v1beta/openai',
  })
})
afterAll(async () => {
  await lectr.stop()
  for (const f of [openai, anthropic, groq]) f.stop()
})
beforeEach(() => {
  for (const f of [openai, anthropic, groq]) {
    f.received.length = 0
    f.script = echoModel()
  }
})

const raw = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${lectr.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client-openai-key-000', 'x-lectr-key': lectr.orgKey, ...headers },
    body,
  })

describe('canary to a model of the same provider', () => {
  test('only the model changes, every other byte as sent; the client key; costs at both models', async () => {
    expect((await putRules(lectr, [{ id: 'digest-to-mini', enabled: true, match: { feature: ['email-digest'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }])).status).toBe(200)
    // A seed above 2^53 and odd spacing: re-serialising would change both.
    const body = '{ "messages" : [{"role":"user","content":"héllo \\u00e9"}],\n "model":"gpt-4o", "seed": 12345678901234567890 }'
    const res = await raw(body, { 'x-lectr-feature': 'email-digest' })
    expect(res.status).toBe(200)
    expect((await openaiAnswerOf(res, 'chat')).model).toBe('gpt-4o-mini')
    expect(res.headers.get('x-lectr-route')).toBe('digest-to-mini; arm=canary')
    expect(openai.received).toHaveLength(1)
    expect(openai.last.body).toBe(body.replace('"model":"gpt-4o"', '"model":"gpt-4o-mini"'))
    expect(openai.last.headers.get('authorization')).toBe('Bearer sk-client-openai-key-000')
    const e = eventOf(lectr, res)
    expect({
      provider: e.provider, model: e.model, routed_provider: e.routed_provider, routed_model: e.routed_model, rule_id: e.rule_id, arm: e.arm,
      route_skipped: e.route_skipped, attempts: e.attempts, cost_usd: e.cost_usd, baseline_cost_usd: e.baseline_cost_usd,
    }).toEqual({
      provider: 'openai', model: 'gpt-4o', routed_provider: 'openai', routed_model: 'gpt-4o-mini', rule_id: 'digest-to-mini', arm: 'canary',
      route_skipped: null, attempts: 1, cost_usd: costAt('gpt-4o-mini'), baseline_cost_usd: costAt('gpt-4o'),
    })
    // The events API carries the fields, and the model distribution counts the request under the model that served it.
    const listed = (await answerOf(await lectr.api('orgs/default/events?limit=1'), 'events')).events[0]
    expect(listed).toMatchObject({ id: e.id, routedProvider: 'openai', routedModel: 'gpt-4o-mini', ruleId: 'digest-to-mini', arm: 'canary', routeSkipped: null, attempts: 1, baselineCostUsd: costAt('gpt-4o') })
    const rows = (await answerOf(await lectr.api('orgs/default/models'), 'models')).rows
    expect(rows.find((r) => r.model === 'gpt-4o-mini')?.requests).toBeGreaterThanOrEqual(1)
  })

  test('through the SDK, streaming: model rewritten, usage still asked for and hidden, X-Lectr-Route on the answer', async () => {
    await putRules(lectr, [{ id: 'all-mini', enabled: true, match: { stream: true }, target: { provider: 'openai', model: 'gpt-4o-mini' } }])
    openai.script = () => sse(openaiChatStream(2, USAGE, 'gpt-4o-mini'))
    const { data, response } = await sdk(lectr).chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    const chunks: ChatCompletionChunk[] = []
    for await (const c of data) chunks.push(c)
    expect(chunks.some((c) => c.usage)).toBe(false)
    expect(response.headers.get('x-lectr-route')).toBe('all-mini; arm=canary')
    const sent = JSON.parse(openai.last.body)
    expect(sent.model).toBe('gpt-4o-mini')
    expect(sent.stream_options).toEqual({ include_usage: true })
    const e = eventOf(lectr, response)
    expect([e.routed_model, e.output_tokens, e.cost_usd]).toEqual(['gpt-4o-mini', 500, costAt('gpt-4o-mini')])
  })
})

describe('canary to another provider', () => {
  test('the key from X-Lectr-Provider-Key-Anthropic, never the client key nor a Lectr header; priced at the target', async () => {
    await putRules(lectr, [{ id: 'to-haiku', enabled: true, match: { model: ['gpt-4o*'] }, target: { provider: 'anthropic', model: 'claude-haiku-4-5' } }])
    const { data, response } = await sdk(lectr, { 'X-Lectr-Provider-Key-Anthropic': ANT_KEY })
      .chat.completions.create({ model: 'gpt-4o-2024-08-06', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    expect(data.model).toBe('claude-haiku-4-5')
    expect(openai.received).toHaveLength(0)
    expect(anthropic.received).toHaveLength(1)
    const got = anthropic.last
    expect(got.url.pathname).toBe('/v1/chat/completions')
    expect(got.headers.get('authorization')).toBe(`Bearer ${ANT_KEY}`)
    expect([...got.headers.keys()].filter((h) => h.startsWith('x-lectr'))).toEqual([])
    expect(JSON.stringify([...got.headers.entries()])).not.toContain('sk-client-openai-key')
    expect(response.headers.get('x-lectr-route')).toBe('to-haiku; arm=canary')
    expect(response.headers.get('x-lectr-provider')).toBe('anthropic')
    const e = eventOf(lectr, response)
    expect([e.provider, e.routed_provider, e.routed_model, e.cost_usd, e.baseline_cost_usd]).toEqual(['openai', 'anthropic', 'claude-haiku-4-5', costAt('claude-haiku-4-5'), costAt('gpt-4o')])
    // The other provider's key is never stored.
    expect(JSON.stringify(lectr.events())).not.toContain(ANT_KEY)
  })
})

describe('skips: the request goes as sent, the event says why, no X-Lectr-Route', () => {
  const cases: [string, unknown, string, Record<string, unknown>][] = [
    ['no_key', { provider: 'anthropic', model: 'claude-haiku-4-5' }, 'chat/completions', { model: 'gpt-4o', messages: [] }],
    ['unsupported_endpoint', { provider: 'anthropic', model: 'claude-haiku-4-5' }, 'embeddings', { model: 'text-embedding-3-small', input: 'x' }],
    ['azure_not_configured', { provider: 'azure', model: 'my-deployment' }, 'chat/completions', { model: 'gpt-4o', messages: [] }],
  ]
  for (const [reason, target, path, body] of cases) {
    test(reason, async () => {
      await putRules(lectr, [{ id: 'skip-me', enabled: true, match: {}, target }])
      const headers: Record<string, string> = reason === 'unsupported_endpoint' ? { 'x-lectr-provider-key-anthropic': ANT_KEY } : {}
      const text = JSON.stringify(body)
      const res = await fetch(`${lectr.url}/v1/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client-openai-key-000', 'x-lectr-key': lectr.orgKey, ...headers },
        body: text,
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('x-lectr-route')).toBeNull()
      expect(anthropic.received).toHaveLength(0)
      expect(openai.last.body).toBe(text)
      const e = eventOf(lectr, res)
      expect([e.rule_id, e.arm, e.route_skipped, e.routed_provider, e.routed_model, e.attempts, e.baseline_cost_usd]).toEqual(['skip-me', null, reason, null, null, 1, null])
    })
  }

  test('X-Lectr-Route: off skips the rules entirely', async () => {
    await putRules(lectr, [{ id: 'everything', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' } }])
    const body = JSON.stringify({ model: 'gpt-4o', messages: [] })
    const res = await raw(body, { 'x-lectr-route': 'off' })
    expect(res.headers.get('x-lectr-route')).toBeNull()
    expect(openai.last.body).toBe(body)
    expect(openai.last.headers.get('x-lectr-route')).toBeNull()
    const e = eventOf(lectr, res)
    expect([e.rule_id, e.arm, e.route_skipped, e.routed_model]).toEqual([null, null, null, null])
  })

  test('a disabled rule and an unmatched request: nothing changes', async () => {
    await putRules(lectr, [
      { id: 'off-rule', enabled: false, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' } },
      { id: 'other-feature', enabled: true, match: { feature: ['x'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } },
    ])
    const body = JSON.stringify({ model: 'gpt-4o', messages: [] })
    const res = await raw(body)
    expect(res.headers.get('x-lectr-route')).toBeNull()
    expect(openai.last.body).toBe(body)
    expect(eventOf(lectr, res).rule_id).toBeNull()
  })
})

test('a 50% canary: both arms, about half each, decided by the event id; control goes as sent', async () => {
  await putRules(lectr, [{ id: 'half', enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 50 }])
  const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
  const answers: Response[] = []
  for (let i = 0; i < 300; i += 30) answers.push(...(await Promise.all(Array.from({ length: 30 }, () => raw(body)))))
  const seen = { canary: 0, control: 0 }
  const byId = new Map(lectr.events().map((e) => [e.id, e]))
  for (const res of answers) {
    await res.arrayBuffer()
    const id = res.headers.get('x-lectr-request-id')!
    const e = byId.get(id)
    const arm = inCanary(id, 50) ? 'canary' : 'control'
    expect(res.headers.get('x-lectr-route')).toBe(`half; arm=${arm}`)
    expect(e.arm).toBe(arm)
    expect(e.routed_model).toBe(arm === 'canary' ? 'gpt-4o-mini' : null)
    expect(e.cost_usd).toBe(arm === 'canary' ? costAt('gpt-4o-mini') : costAt('gpt-4o'))
    seen[arm as 'canary' | 'control']++
  }
  expect(seen.canary + seen.control).toBe(300)
  expect(seen.canary).toBeGreaterThan(105)
  expect(seen.control).toBeGreaterThan(105)
  const models = openai.received.map((r) => JSON.parse(r.body).model)
  expect(models.filter((m) => m === 'gpt-4o-mini')).toHaveLength(seen.canary)
  // the control arm's bodies are the client's own bytes
  expect(openai.received.filter((r) => JSON.parse(r.body).model === 'gpt-4o').every((r) => r.body === body)).toBe(true)
  // The arms comparison API.
  const arms = (await answerOf(await lectr.api('orgs/default/routing/arms'), 'routingArms')).arms.filter((a) => a.ruleId === 'half')
  expect(arms.map((a) => [a.arm, a.requests])).toEqual([['canary', seen.canary], ['control', seen.control]])
  expect(arms[0].costPerRequestUsd).toBe(costAt('gpt-4o-mini'))
})

describe('fallbacks before the first byte', () => {
  const rule = {
    id: 'with-fallbacks', enabled: true, match: { feature: ['fb'] },
    target: { provider: 'anthropic', model: 'claude-haiku-4-5' },
    fallbacks: [{ provider: 'groq', model: 'llama-3.1-8b-instant' }, { provider: 'openai', model: 'gpt-4.1-mini' }],
  }
  const keys = { 'x-lectr-feature': 'fb', 'x-lectr-provider-key-anthropic': ANT_KEY, 'x-lectr-provider-key-groq': 'gsk_groq_routing_key_0123456789' }

  for (const status of [429, 500]) {
    test(`a ${status} from the target: the next fallback answers`, async () => {
      await putRules(lectr, [rule])
      anthropic.script = echoModel(status)
      const res = await raw(JSON.stringify({ model: 'gpt-4o', messages: [] }), keys)
      expect(res.status).toBe(200)
      expect((await openaiAnswerOf(res, 'chat')).model).toBe('llama-3.1-8b-instant')
      expect(groq.last.headers.get('authorization')).toBe('Bearer gsk_groq_routing_key_0123456789')
      expect(openai.received).toHaveLength(0)
      const e = eventOf(lectr, res)
      expect([e.status, e.attempts, e.routed_provider, e.routed_model, e.cost_usd, e.arm]).toEqual([200, 2, 'groq', 'llama-3.1-8b-instant', costAt('llama-3.1-8b-instant'), 'canary'])
    })
  }

  test('every upstream fails: the client gets the last answer', async () => {
    await putRules(lectr, [rule])
    anthropic.script = echoModel(503)
    groq.script = echoModel(429)
    openai.script = echoModel(500)
    const res = await raw(JSON.stringify({ model: 'gpt-4o', messages: [] }), keys)
    expect(res.status).toBe(500)
    expect(res.headers.get('x-lectr-route')).toBe('with-fallbacks; arm=canary')
    const e = eventOf(lectr, res)
    expect([e.status, e.attempts, e.routed_provider, e.routed_model]).toEqual([500, 3, 'openai', 'gpt-4.1-mini'])
  })

  test('a fallback without its key is left out', async () => {
    await putRules(lectr, [rule])
    anthropic.script = echoModel(500)
    const res = await raw(JSON.stringify({ model: 'gpt-4o', messages: [] }), { 'x-lectr-feature': 'fb', 'x-lectr-provider-key-anthropic': ANT_KEY })
    expect((await openaiAnswerOf(res, 'chat')).model).toBe('gpt-4.1-mini')
    expect(groq.received).toHaveLength(0)
    expect(openai.last.headers.get('authorization')).toBe('Bearer sk-client-openai-key-000')
    expect(eventOf(lectr, res).attempts).toBe(2)
  })

  test('an unreachable target: the fallback answers', async () => {
    await putRules(lectr, [{ id: 'unreachable', enabled: true, match: {}, target: { provider: 'gemini', model: 'gemini-2.0-flash' }, fallbacks: [{ provider: 'openai', model: 'gpt-4o-mini' }] }])
    const res = await raw(JSON.stringify({ model: 'gpt-4o', messages: [] }), { 'x-lectr-provider-key-gemini': 'AIza-gemini-routing-key' })
    expect(res.status).toBe(200)
    expect((await openaiAnswerOf(res, 'chat')).model).toBe('gpt-4o-mini')
    const e = eventOf(lectr, res)
    expect([e.attempts, e.routed_provider, e.routed_model]).toEqual([2, 'openai', 'gpt-4o-mini'])
  })

  test('no fallback once a stream has started, even if it breaks', async () => {
    await putRules(lectr, [rule])
    anthropic.script = () => {
      const enc = new TextEncoder()
      return new Response(
        new ReadableStream({
          async start(c) {
            c.enqueue(enc.encode(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'claude-haiku-4-5', choices: [{ index: 0, delta: { content: 'Hi' } }] })}\n\n`))
            await Bun.sleep(20)
            c.error(new Error('broken'))
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      )
    }
    const res = await raw(JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }), keys)
    expect(res.status).toBe(200)
    await res.text().catch(() => '')
    expect(groq.received).toHaveLength(0)
    expect(openai.received).toHaveLength(0)
    await Bun.sleep(50)
    const e = eventOf(lectr, res)
    expect([e.attempts, e.routed_provider, e.error_code]).toEqual([1, 'anthropic', 'lectr_upstream_broken'])
  })

  test('the control arm is forwarded as sent, without fallbacks', async () => {
    // percent 1: with this id hash nearly every request is control; send until one is.
    await putRules(lectr, [{ ...rule, percent: 1 }])
    openai.script = echoModel(500)
    for (let i = 0; i < 20; i++) {
      const res = await raw(JSON.stringify({ model: 'gpt-4o', messages: [] }), keys)
      if (res.headers.get('x-lectr-route') !== 'with-fallbacks; arm=control') {
        // A canary (1 in 100) went to the target: not what is checked below.
        await res.text()
        for (const f of [anthropic, groq]) f.received.length = 0
        continue
      }
      expect(res.status).toBe(500)
      const e = eventOf(lectr, res)
      expect([e.attempts, e.routed_model, e.arm]).toEqual([1, null, 'control'])
      expect(anthropic.received.length + groq.received.length).toBe(0)
      return
    }
    throw new Error('no control-arm request in 20')
  })
})
