/**
 * Exact usage and cost through the official OpenAI SDK, for every provider and endpoint, streaming and not,
 * against fakes that behave as `reference/providers.md` describes. Expected costs are computed here from
 * `reference/prices.md` (see PRICES), not with Lectr's own pricing code.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { FakeUpstream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { expectedCost, providerScript, type Kind, type Sent, type Tokens } from './fake-providers'
import { answerOf } from '../helpers/json'

const fakes = {} as Record<Kind, FakeUpstream>
const sent: Sent[] = []
let lectr: TestLectr
let client: OpenAI
let legacyClient: OpenAI
/** the exact request bodies the SDK put on the wire, newest last */
const sdkBodies: string[] = []
let registryVersion: string

const recordingFetch = (async (url: Parameters<typeof fetch>[0], init?: RequestInit) => {
  if (typeof init?.body === 'string') sdkBodies.push(init.body)
  return fetch(url, init)
}) as typeof fetch

beforeAll(async () => {
  for (const k of ['openai', 'anthropic', 'groq', 'gemini', 'azure'] as Kind[]) fakes[k] = new FakeUpstream()
  lectr = await startLectr(fakes.openai, {}, {
    LECTR_ANTHROPIC_BASE_URL: fakes.anthropic.baseUrl,
    LECTR_GROQ_BASE_URL: fakes.groq.origin + '/openai/v1',
    LECTR_GEMINI_BASE_URL: fakes.gemini.origin + '/v1beta/openai',
  })
  const put = await lectr.api('orgs/default/providers/azure', {
    method: 'PUT',
    body: JSON.stringify({ endpoint: fakes.azure.origin, apiVersion: '2024-10-21' }),
  })
  expect(put.status).toBeLessThan(300)
  // A second org on an Azure API version without usage in streams.
  const org = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'legacy' }) })
  expect(org.status).toBe(201)
  const { id: legacyId, key: legacyKey } = await answerOf(org, 'createdOrg')
  const put2 = await lectr.api(`orgs/${legacyId}/providers/azure`, {
    method: 'PUT',
    body: JSON.stringify({ endpoint: fakes.azure.origin, apiVersion: '2024-06-01' }),
  })
  expect(put2.status).toBeLessThan(300)
  const opts = { baseURL: `${lectr.url}/v1`, apiKey: 'sk-test-provider-key', fetch: recordingFetch, maxRetries: 0 }
  client = new OpenAI({ ...opts, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
  legacyClient = new OpenAI({ ...opts, defaultHeaders: { 'X-Lectr-Key': legacyKey } })
  registryVersion = (await answerOf(await fetch(`${lectr.url}/api/health`), 'health')).registryVersion
  expect(registryVersion).toBeTruthy()
})
afterAll(async () => {
  await lectr.stop()
  for (const f of Object.values(fakes)) f.stop()
})

function plan(kind: Kind, tokens: Tokens, model?: string, fragment = false) {
  fakes[kind].script = providerScript({ kind, tokens, model, fragment }, sent)
}

interface Expected {
  input: number
  cached: number
  output: number
  reasoning: number
  responseModel: string | null
  cost: number | null
  provider: string
  endpoint: string
  stream: boolean
}

async function eventFor(id: string | null): Promise<any> {
  expect(id).toBeTruthy()
  return eventually(() => lectr.events().find((e) => e.id === id))
}

async function expectEvent(id: string | null, x: Expected) {
  const e = await eventFor(id)
  expect({
    provider: e.provider,
    endpoint: e.endpoint,
    stream: e.stream,
    status: e.status,
    input: e.input_tokens,
    cached: e.cached_input_tokens,
    output: e.output_tokens,
    reasoning: e.reasoning_tokens,
    responseModel: e.response_model,
    estimated: e.usage_estimated,
    errorCode: e.error_code,
    registryVersion: e.registry_version,
  }).toEqual({
    provider: x.provider,
    endpoint: x.endpoint,
    stream: x.stream ? 1 : 0,
    status: 200,
    input: x.input,
    cached: x.cached,
    output: x.output,
    reasoning: x.reasoning,
    responseModel: x.responseModel,
    estimated: 0,
    errorCode: null,
    registryVersion,
  })
  if (x.cost === null) expect(e.cost_usd).toBeNull()
  else {
    expect(e.cost_usd).not.toBeNull()
    expect(e.cost_usd).toBeCloseTo(x.cost, 12)
  }
  return e
}

/** The data payloads a client parses from SSE blocks, `[DONE]` excluded. */
function payloads(blocks: string[]): unknown[] {
  return blocks
    .map((b) => b.split('\n').find((l) => l.startsWith('data: '))!.slice(6))
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d))
}
function withoutUsageChunk(s: Sent): string[] {
  return s.blocks.filter((_, i) => i !== s.usageOnlyBlock)
}
const isUsageOnly = (c: any) => Array.isArray(c.choices) && c.choices.length === 0 && c.usage != null
const last = () => sent[sent.length - 1]

describe('openai', () => {
  test('chat, not streamed: cached tokens priced at the cached price', async () => {
    plan('openai', { prompt: 1200, cached: 1024, completion: 250 }, 'gpt-4o-2024-08-06')
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(1024)
    expect(response.headers.get('x-lectr-provider')).toBe('openai')
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'chat/completions', stream: false, input: 1200, cached: 1024, output: 250, reasoning: 0,
      responseModel: 'gpt-4o-2024-08-06', cost: expectedCost('gpt-4o', 1200, 1024, 250),
    })
  })

  test('chat with reasoning tokens (o4-mini), not streamed: reasoning inside output, priced by the dated response model', async () => {
    plan('openai', { prompt: 2000, cached: 1536, completion: 900, reasoning: 640 }, 'o4-mini-2025-04-16')
    const { response } = await client.chat.completions.create({ model: 'o4-mini', messages: [{ role: 'user', content: 'think' }] }).withResponse()
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'chat/completions', stream: false, input: 2000, cached: 1536, output: 900, reasoning: 640,
      responseModel: 'o4-mini-2025-04-16', cost: expectedCost('o4-mini', 2000, 1536, 900),
    })
  })

  test('chat streamed, client did not ask for usage: Lectr asks, strips the usage chunk, the client sees exactly the rest', async () => {
    plan('openai', { prompt: 3100, cached: 2048, completion: 420, reasoning: 256 }, 'o4-mini-2025-04-16')
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'o4-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const chunks: unknown[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    // The SDK sent no stream_options; the provider was asked for usage anyway.
    expect(JSON.parse(sdkBodies[sdkBodies.length - 1]).stream_options).toBeUndefined()
    expect((s.requestBody.stream_options as any)?.include_usage).toBe(true)
    expect(s.usageOnlyBlock).not.toBeNull()
    expect(chunks).toEqual(payloads(withoutUsageChunk(s)))
    expect(chunks.some(isUsageOnly)).toBe(false)
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'chat/completions', stream: true, input: 3100, cached: 2048, output: 420, reasoning: 256,
      responseModel: 'o4-mini-2025-04-16', cost: expectedCost('o4-mini', 3100, 2048, 420),
    })
  })

  test('chat streamed, the same bytes on the wire: only the usage-only event is missing', async () => {
    plan('openai', { prompt: 40, completion: 9 }, 'gpt-4o-mini-2024-07-18')
    const res = await fetch(`${lectr.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x', 'x-lectr-key': lectr.orgKey },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [] }),
    })
    const text = await res.text()
    const s = last()
    expect(text).toBe(withoutUsageChunk(s).join(''))
    expect(text).not.toBe(s.blocks.join(''))
    await expectEvent(res.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'chat/completions', stream: true, input: 40, cached: 0, output: 9, reasoning: 0,
      responseModel: 'gpt-4o-mini-2024-07-18', cost: expectedCost('gpt-4o-mini', 40, 0, 9),
    })
  })

  test('chat streamed in fragments (events cut across network writes): still exact bytes, exact usage', async () => {
    for (const kind of ['openai', 'azure'] as Kind[]) {
      plan(kind, { prompt: 61, cached: 32, completion: 17 }, 'gpt-4o-2024-08-06', true)
      const res = await fetch(`${lectr.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x', 'x-lectr-key': lectr.orgKey, 'x-lectr-provider': kind },
        body: JSON.stringify({ model: kind === 'azure' ? 'prod-4o' : 'gpt-4o', stream: true, messages: [] }),
      })
      const text = await res.text()
      const s = last()
      expect(s.usageOnlyBlock).not.toBeNull()
      expect(text).toBe(withoutUsageChunk(s).join(''))
      await expectEvent(res.headers.get('x-lectr-request-id'), {
        provider: kind, endpoint: 'chat/completions', stream: true, input: 61, cached: 32, output: 17, reasoning: 0,
        responseModel: 'gpt-4o-2024-08-06', cost: expectedCost('gpt-4o', 61, 32, 17),
      })
    }
  })

  test('chat streamed, client asked for usage itself: it gets the usage chunk, body forwarded unchanged', async () => {
    plan('openai', { prompt: 77, cached: 64, completion: 12 }, 'gpt-4o-2024-08-06')
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const chunks: any[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    expect(fakes.openai.last.body).toBe(sdkBodies[sdkBodies.length - 1])
    expect(chunks).toEqual(payloads(s.blocks))
    expect(chunks.filter(isUsageOnly).length).toBe(1)
    expect(chunks.at(-1).usage.prompt_tokens).toBe(77)
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'chat/completions', stream: true, input: 77, cached: 64, output: 12, reasoning: 0,
      responseModel: 'gpt-4o-2024-08-06', cost: expectedCost('gpt-4o', 77, 64, 12),
    })
  })

  test('completions (legacy), streamed without asking and not streamed', async () => {
    plan('openai', { prompt: 5, completion: 4 }, 'gpt-4o-mini-2024-07-18')
    const { data: stream, response } = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Say', stream: true }).withResponse()
    const chunks: unknown[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    expect((s.requestBody.stream_options as any)?.include_usage).toBe(true)
    expect(chunks).toEqual(payloads(withoutUsageChunk(s)))
    expect(chunks.some(isUsageOnly)).toBe(false)
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'completions', stream: true, input: 5, cached: 0, output: 4, reasoning: 0,
      responseModel: 'gpt-4o-mini-2024-07-18', cost: expectedCost('gpt-4o-mini', 5, 0, 4),
    })

    plan('openai', { prompt: 11, completion: 16 }, 'gpt-4o-mini-2024-07-18')
    const r2 = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Say more' }).withResponse()
    expect(r2.data.usage?.completion_tokens).toBe(16)
    await expectEvent(r2.response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'completions', stream: false, input: 11, cached: 0, output: 16, reasoning: 0,
      responseModel: 'gpt-4o-mini-2024-07-18', cost: expectedCost('gpt-4o-mini', 11, 0, 16),
    })
  })

  test('embeddings: input tokens only, no output', async () => {
    plan('openai', { prompt: 8, completion: 0 }, 'text-embedding-3-small')
    const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] }).withResponse()
    expect(data.data.length).toBe(2)
    expect(Array.from(data.data[0].embedding)).toEqual([0.125, -0.5, 0.25])
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'embeddings', stream: false, input: 8, cached: 0, output: 0, reasoning: 0,
      responseModel: 'text-embedding-3-small', cost: expectedCost('text-embedding-3-small', 8, 0, 0),
    })
  })

  test('Responses API, not streamed: input_tokens_details and output_tokens_details', async () => {
    plan('openai', { prompt: 900, cached: 512, completion: 300, reasoning: 200 }, 'o4-mini-2025-04-16')
    const { data, response } = await client.responses.create({ model: 'o4-mini', input: 'hi' }).withResponse()
    expect(data.output_text).toBe('Hello, wörld 👋')
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'responses', stream: false, input: 900, cached: 512, output: 300, reasoning: 200,
      responseModel: 'o4-mini-2025-04-16', cost: expectedCost('o4-mini', 900, 512, 300),
    })
  })

  test('Responses API, streamed typed events: usage from response.completed; not asked, nothing stripped', async () => {
    plan('openai', { prompt: 36, cached: 12, completion: 87, reasoning: 64 }, 'gpt-4.1-2025-04-14')
    const { data: stream, response } = await client.responses.create({ model: 'gpt-4.1', input: 'hi', stream: true }).withResponse()
    const events: any[] = []
    for await (const e of stream) events.push(e)
    const s = last()
    expect(fakes.openai.last.body).toBe(sdkBodies[sdkBodies.length - 1])
    expect(events).toEqual(payloads(s.blocks))
    expect(events.map((e) => e.type)).toContain('response.output_text.delta')
    expect(events.at(-1).type).toBe('response.completed')
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'openai', endpoint: 'responses', stream: true, input: 36, cached: 12, output: 87, reasoning: 64,
      responseModel: 'gpt-4.1-2025-04-14', cost: expectedCost('gpt-4.1', 36, 12, 87),
    })
  })
})

describe('anthropic (OpenAI compatibility layer)', () => {
  const MODEL = 'claude-sonnet-4-5-20250929'
  test('not streamed: empty details objects', async () => {
    plan('anthropic', { prompt: 25, completion: 9 })
    const { response } = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    expect(response.headers.get('x-lectr-provider')).toBe('anthropic')
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'anthropic', endpoint: 'chat/completions', stream: false, input: 25, cached: 0, output: 9, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 25, 0, 9),
    })
  })
  test('streamed: usage only when asked, so Lectr asks and hides the answer', async () => {
    plan('anthropic', { prompt: 310, completion: 57 })
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const chunks: unknown[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    expect((s.requestBody.stream_options as any)?.include_usage).toBe(true)
    expect(s.usageOnlyBlock).not.toBeNull()
    expect(chunks).toEqual(payloads(withoutUsageChunk(s)))
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'anthropic', endpoint: 'chat/completions', stream: true, input: 310, cached: 0, output: 57, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 310, 0, 57),
    })
  })
})

describe('groq', () => {
  const MODEL = 'llama-3.1-8b-instant'
  test('streamed, not asked: usage from x_groq.usage, the request body untouched', async () => {
    plan('groq', { prompt: 40, completion: 12 })
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const chunks: unknown[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    expect(fakes.groq.last.url.pathname).toBe('/openai/v1/chat/completions')
    expect(fakes.groq.last.body).toBe(sdkBodies[sdkBodies.length - 1])
    expect(s.requestBody.stream_options).toBeUndefined()
    expect(chunks).toEqual(payloads(s.blocks))
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'groq', endpoint: 'chat/completions', stream: true, input: 40, cached: 0, output: 12, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 40, 0, 12),
    })
  })
  test('streamed, client asked: x_groq.usage and the extra usage chunk count once', async () => {
    plan('groq', { prompt: 1000, completion: 500 })
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const chunks: any[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    expect(fakes.groq.last.body).toBe(sdkBodies[sdkBodies.length - 1])
    expect(chunks).toEqual(payloads(s.blocks))
    expect(chunks.filter(isUsageOnly).length).toBe(1)
    expect(chunks.filter((c) => c.x_groq?.usage).length).toBe(1)
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'groq', endpoint: 'chat/completions', stream: true, input: 1000, cached: 0, output: 500, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 1000, 0, 500),
    })
  })
  test('not streamed', async () => {
    plan('groq', { prompt: 18, completion: 7 })
    const { response } = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'groq', endpoint: 'chat/completions', stream: false, input: 18, cached: 0, output: 7, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 18, 0, 7),
    })
  })
})

describe('gemini', () => {
  const MODEL = 'gemini-2.5-flash'
  test('streamed: cumulative usage on every chunk, the last wins (never summed); thinking billed as output', async () => {
    // total exceeds prompt + completion by the thinking tokens
    plan('gemini', { prompt: 12, completion: 41, total: 153 })
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    const chunks: any[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    expect(fakes.gemini.last.url.pathname).toBe('/v1beta/openai/chat/completions')
    expect(fakes.gemini.last.body).toBe(sdkBodies[sdkBodies.length - 1])
    expect(chunks).toEqual(payloads(s.blocks))
    expect(chunks.every((c) => c.usage)).toBe(true)
    const thinking = 153 - 12 - 41
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'gemini', endpoint: 'chat/completions', stream: true, input: 12, cached: 0, output: 41 + thinking, reasoning: thinking,
      responseModel: MODEL, cost: expectedCost(MODEL, 12, 0, 41 + thinking),
    })
  })
  test('streamed without thinking: the last cumulative total', async () => {
    plan('gemini', { prompt: 200, completion: 64 })
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
    for await (const _ of stream);
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'gemini', endpoint: 'chat/completions', stream: true, input: 200, cached: 0, output: 64, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 200, 0, 64),
    })
  })
  test('not streamed, and embeddings', async () => {
    plan('gemini', { prompt: 30, completion: 20 })
    const { response } = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'gemini', endpoint: 'chat/completions', stream: false, input: 30, cached: 0, output: 20, reasoning: 0,
      responseModel: MODEL, cost: expectedCost(MODEL, 30, 0, 20),
    })
    plan('gemini', { prompt: 6, completion: 0 })
    const r2 = await client.embeddings.create({ model: 'text-embedding-004', input: 'x' }).withResponse()
    expect(fakes.gemini.last.url.pathname).toBe('/v1beta/openai/embeddings')
    // not in prices.md: priced only if the registry in force has a price for it, else null
    const registry = await answerOf(await lectr.api('registry'), 'registry')
    const listed = registry.models.find((m: any) => m.id === 'text-embedding-004' && m.provider === 'gemini')
    await expectEvent(r2.response.headers.get('x-lectr-request-id'), {
      provider: 'gemini', endpoint: 'embeddings', stream: false, input: 6, cached: 0, output: 0, reasoning: 0,
      responseModel: 'text-embedding-004', cost: listed?.price ? (6 * listed.price.input) / 1_000_000 : null,
    })
  })
})

describe('azure', () => {
  const az = { headers: { 'X-Lectr-Provider': 'azure' } }
  test('streamed at 2024-10-21: asked for usage, first chunk without choices kept, usage chunk stripped; priced as gpt-4o', async () => {
    plan('azure', { prompt: 20, cached: 0, completion: 3 }, 'gpt-4o-2024-08-06')
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'prod-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }, az)
      .withResponse()
    const chunks: any[] = []
    for await (const c of stream) chunks.push(c)
    const s = last()
    const rec = fakes.azure.last
    expect(rec.url.pathname).toBe('/openai/deployments/prod-4o/chat/completions')
    expect(rec.url.searchParams.get('api-version')).toBe('2024-10-21')
    expect(rec.headers.get('api-key')).toBe('sk-test-provider-key')
    expect(rec.headers.get('authorization')).toBeNull()
    expect((s.requestBody.stream_options as any)?.include_usage).toBe(true)
    expect(chunks).toEqual(payloads(withoutUsageChunk(s)))
    expect(chunks[0].choices).toEqual([])
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'azure', endpoint: 'chat/completions', stream: true, input: 20, cached: 0, output: 3, reasoning: 0,
      responseModel: 'gpt-4o-2024-08-06', cost: expectedCost('gpt-4o', 20, 0, 3),
    })
  })
  test('not streamed', async () => {
    plan('azure', { prompt: 500, cached: 256, completion: 40 }, 'gpt-4o-2024-08-06')
    const { response } = await client.chat.completions.create({ model: 'prod-4o', messages: [{ role: 'user', content: 'hi' }] }, az).withResponse()
    await expectEvent(response.headers.get('x-lectr-request-id'), {
      provider: 'azure', endpoint: 'chat/completions', stream: false, input: 500, cached: 256, output: 40, reasoning: 0,
      responseModel: 'gpt-4o-2024-08-06', cost: expectedCost('gpt-4o', 500, 256, 40),
    })
  })
  test('streamed at 2024-06-01: not asked (it would answer 400), usage estimated from the request size and the text', async () => {
    plan('azure', { prompt: 20, completion: 3 }, 'gpt-4o-2024-08-06')
    const { data: stream, response } = await legacyClient.chat.completions
      .create({ model: 'prod-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }, az)
      .withResponse()
    const chunks: unknown[] = []
    for await (const c of stream) chunks.push(c)
    expect(fakes.azure.last.body).toBe(sdkBodies[sdkBodies.length - 1])
    expect(chunks).toEqual(payloads(last().blocks))
    const e = await eventFor(response.headers.get('x-lectr-request-id'))
    expect(e.status).toBe(200)
    const text = (chunks as { choices: { delta?: { content?: string } }[] }[]).flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? '')).join('')
    expect(e.input_tokens).toBe(Math.ceil(Buffer.byteLength(fakes.azure.last.body) / 4))
    expect(e.output_tokens).toBe(Math.ceil(text.length / 4))
    expect(e.output_tokens).toBeGreaterThan(0)
    expect(e.cost_usd).toBeCloseTo(expectedCost('gpt-4o', e.input_tokens, 0, e.output_tokens), 12)
    expect(e.usage_estimated).toBe(1)
    expect(e.response_model).toBe('gpt-4o-2024-08-06')
  })
})

describe('pricing', () => {
  test('an unknown model costs null, never 0, and the models API shows it as unpriced', async () => {
    plan('openai', { prompt: 100, completion: 50 }, 'mystery-model-x')
    const { response } = await client.chat.completions.create({ model: 'mystery-model-x', messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    const e = await eventFor(response.headers.get('x-lectr-request-id'))
    expect(e.provider_unknown).toBe(1)
    expect(e.input_tokens).toBe(100)
    expect(e.output_tokens).toBe(50)
    expect(e.cost_usd).toBeNull()
    expect(e.registry_version).toBe(registryVersion)

    const { rows } = await answerOf(await lectr.api('orgs/default/models'), 'models')
    const row = rows.find((r) => r.model === 'mystery-model-x')!
    expect(row).toMatchObject({ provider: 'openai', requests: 1, unpricedRequests: 1, inputTokens: 100, outputTokens: 50 })
    expect(row.costUsd).toBe(0)
    // a priced model's row carries its summed cost and no unpriced requests
    const sonnet = rows.find((r) => r.model === 'claude-sonnet-4-5-20250929')!
    expect(sonnet.unpricedRequests).toBe(0)
    expect(sonnet.costUsd).toBeCloseTo(expectedCost('claude-sonnet-4-5-20250929', 25, 0, 9) + expectedCost('claude-sonnet-4-5-20250929', 310, 0, 57), 8)

    // the event route names the same fields, camelCase
    const id = response.headers.get('x-lectr-request-id')
    const { events } = await answerOf(await lectr.api('orgs/default/events?limit=1'), 'events')
    expect(events[0]).toMatchObject({ id, costUsd: null, inputTokens: 100, outputTokens: 50, registryVersion, usageEstimated: false })
  })

  test('every event was priced with the registry version in force', async () => {
    const events = lectr.events()
    expect(events.length).toBeGreaterThan(15)
    for (const e of events) expect(e.registry_version).toBe(registryVersion)
  })
})
