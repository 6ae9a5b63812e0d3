import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { azureSupportsStreamUsage } from '../../src/providers/azure'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { AZURE_KEY, azureChatStream, azureClient, azureStreamScript, eventOf, putAzure } from './_azure'

// Azure's stream quirks (a first chunk with `choices: []`, `id: ""`, `model: ""` and only `prompt_filter_results`;
// filter-only chunks with `content_filter_offsets` and no delta; the usage chunk only when asked) and the API
// versions that may be asked for usage. The fake answers 400 to `stream_options` before 2024-09-01-preview, as Azure does.

const USAGE = { prompt_tokens: 1200, completion_tokens: 345, total_tokens: 1545, prompt_tokens_details: { cached_tokens: 200 }, completion_tokens_details: { reasoning_tokens: 0 } }
// gpt-4o: $2.50 input, $1.25 cached input, $10 output per 1M tokens
const GPT4O_COST = ((1200 - 200) * 2.5 + 200 * 1.25 + 345 * 10) / 1e6

let fake: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  fake = new FakeUpstream()
  lectr = await startLectr(fake)
})
afterAll(async () => {
  await lectr.stop()
  fake.stop()
})
beforeEach(() => {
  fake.script = azureStreamScript({ usage: USAGE })
})

const { chunks: CHUNKS, usageChunk: USAGE_CHUNK } = azureChatStream({ usage: USAGE })
const messages = [{ role: 'user' as const, content: 'Say hello in French' }]
/** The text the chunks generated (`delta.content`). */
const generatedText = (chunks: unknown[]) =>
  (chunks as { choices: { delta?: { content?: string } }[] }[]).flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? '')).join('')

describe.each(['2024-10-21', '2024-09-01-preview', 'v1'])('API version %s: usage is asked for', (apiVersion) => {
  beforeEach(async () => {
    expect((await putAzure(lectr, fake.origin, apiVersion)).status).toBe(200)
  })

  test('Lectr adds stream_options.include_usage; the SDK yields exactly the chunks Azure would have sent it, no usage chunk', async () => {
    const { data: stream, response } = await azureClient(lectr).chat.completions.create({ model: 'my-prod-deployment', stream: true, messages }).withResponse()
    const got: unknown[] = []
    for await (const c of stream) got.push(c)
    expect(got).toEqual(CHUNKS)
    // what Azure received
    const sent = JSON.parse(fake.last.body)
    expect(sent).toEqual({ model: 'my-prod-deployment', stream: true, messages, stream_options: { include_usage: true } })
    expect(fake.last.headers.get('api-key')).toBe(AZURE_KEY)
    // the event
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({
      provider: 'azure',
      model: 'my-prod-deployment',
      response_model: 'gpt-4o-2024-08-06',
      stream: 1,
      status: 200,
      error_code: null,
      input_tokens: 1200,
      cached_input_tokens: 200,
      output_tokens: 345,
      usage_estimated: 0,
    })
    expect(event.cost_usd).toBeCloseTo(GPT4O_COST, 12)
  })

  test('the bytes a raw client receives are Azure\'s, minus only the usage event', async () => {
    const res = await lectr.post('chat/completions', { model: 'd', stream: true, messages }, { 'x-lectr-provider': 'azure' })
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const text = await res.text()
    expect(text).toBe(CHUNKS.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n')
  })

  test('a client that asked for usage gets the usage chunk, and its request is sent as it was', async () => {
    const stream = await azureClient(lectr).chat.completions.create({ model: 'd', stream: true, stream_options: { include_usage: true }, messages })
    const got: unknown[] = []
    for await (const c of stream) got.push(c)
    expect(got).toEqual([...CHUNKS, USAGE_CHUNK])
    expect(JSON.parse(fake.last.body).stream_options).toEqual({ include_usage: true })
  })
})

describe.each(['2024-06-01', '2024-02-01'])('API version %s: usage is not asked for', (apiVersion) => {
  beforeEach(async () => {
    expect((await putAzure(lectr, fake.origin, apiVersion)).status).toBe(200)
  })

  test('the request goes as the client sent it; the event records usage as estimated (request size, text seen), never 0 nor null', async () => {
    const { data: stream, response } = await azureClient(lectr).chat.completions.create({ model: 'my-prod-deployment', stream: true, messages }).withResponse()
    const got: unknown[] = []
    for await (const c of stream) got.push(c)
    expect(got).toEqual(CHUNKS)
    const sent = JSON.parse(fake.last.body)
    expect(sent).toEqual({ model: 'my-prod-deployment', stream: true, messages })
    expect(fake.last.url.searchParams.get('api-version')).toBe(apiVersion)
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({
      provider: 'azure',
      status: 200,
      error_code: null,
      response_model: 'gpt-4o-2024-08-06',
      // 4 bytes of request body, and 4 characters of generated text, a token
      input_tokens: Math.ceil(Buffer.byteLength(fake.last.body) / 4),
      cached_input_tokens: 0,
      output_tokens: Math.ceil(generatedText(CHUNKS).length / 4),
      reasoning_tokens: 0,
      usage_estimated: 1,
    })
    expect(event.cost_usd).toBeCloseTo((event.input_tokens * 2.5 + event.output_tokens * 10) / 1e6, 12)
    expect(event.input_tokens).toBeGreaterThan(0)
    expect(event.output_tokens).toBeGreaterThan(0)
  })

  test('a non-streaming answer still carries usage and is priced', async () => {
    fake.script = () =>
      Response.json({ id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: USAGE })
    const { response } = await azureClient(lectr).chat.completions.create({ model: 'd', messages }).withResponse()
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event.input_tokens).toBe(1200)
    expect(event.cost_usd).toBeCloseTo(GPT4O_COST, 12)
  })
})

describe('legacy completions stream', () => {
  test('at 2024-10-21 usage is asked for and the usage chunk stripped; at 2024-06-01 the body is untouched', async () => {
    const usage = { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }
    const textChunk = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-35-turbo-instruct', choices: [{ text: 'ok', index: 0, finish_reason: null, logprobs: null }] }
    fake.script = (_req, rec) => {
      const asked = JSON.parse(rec.body).stream_options?.include_usage === true
      const events: unknown[] = [textChunk]
      if (asked) events.push({ ...textChunk, choices: [], usage })
      events.push('data: [DONE]\n\n')
      return new Response(events.map((e) => (typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`)).join(''), { headers: { 'content-type': 'text/event-stream' } })
    }
    for (const [apiVersion, injected] of [['2024-10-21', true], ['2024-06-01', false]] as const) {
      expect((await putAzure(lectr, fake.origin, apiVersion)).status).toBe(200)
      const { data: stream, response } = await azureClient(lectr).completions.create({ model: 'instruct', prompt: 'x', stream: true }).withResponse()
      const got: unknown[] = []
      for await (const c of stream) got.push(c)
      expect(got).toEqual([textChunk])
      expect('stream_options' in JSON.parse(fake.last.body)).toBe(injected)
      const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
      // without the usage chunk: estimated from the request's size
      expect(event.input_tokens).toBe(injected ? 4 : Math.ceil(Buffer.byteLength(fake.last.body) / 4))
      expect(event.usage_estimated).toBe(injected ? 0 : 1)
      expect(event.response_model).toBe('gpt-35-turbo-instruct')
    }
  })
})

describe('azureSupportsStreamUsage', () => {
  test.each([
    ['2024-10-21', true],
    ['2024-09-01-preview', true],
    ['2024-12-01-preview', true],
    ['2025-04-01-preview', true],
    ['v1', true],
    ['2024-08-01-preview', false],
    ['2024-07-01-preview', false],
    ['2024-06-01', false],
    ['2024-02-01', false],
    ['2023-05-15', false],
    ['', false],
  ] as const)('%s → %p', (v, expected) => {
    expect(azureSupportsStreamUsage(v)).toBe(expected)
  })
})
