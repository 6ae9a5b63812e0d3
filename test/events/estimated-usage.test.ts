/**
 * A stream that ends without the provider's totals is recorded with estimated usage, never NULL tokens and a NULL
 * cost for a priced model: input from the request body's size (4 bytes a token), output from the generated text
 * seen (4 characters a token), `usage_estimated` 1, priced from the estimate. Whether it completed (`[DONE]`, no
 * usage chunk), the upstream broke it, or the client left (499).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import builtin from '../../src/registry/builtin.json'
import { costUsd } from '../../src/registry/pricing'
import type { Price } from '../../src/registry/schema'
import { FakeUpstream, sse } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'

const MODEL = 'gpt-4o-mini'
const PRICE = (builtin as { models: { id: string; provider: string; price?: Price }[] }).models.find((m) => m.id === MODEL && m.provider === 'openai')!.price!
const WORDS = Array.from({ length: 12 }, (_, i) => `word${i} `) // 6 characters each
const enc = new TextEncoder()
const chunk = (content: string) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, delta: { content }, finish_reason: null }] })
const data = (payload: unknown) => enc.encode(`data: ${JSON.stringify(payload)}\n\n`)

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr?.stop()
  up?.stop()
})

/** A request body of a few hundred bytes, so that the input estimate is clearly not 0. */
function request(): Record<string, unknown> {
  return {
    model: MODEL,
    stream: true,
    messages: [
      { role: 'system', content: 'You are a helpful assistant that answers in one short paragraph.' },
      { role: 'user', content: 'Explain, in plain words, why the sky looks blue on a clear day and red at sunset.' },
    ],
  }
}

/** The upstream sends the words, then (by `end`) `[DONE]` without usage, breaks, or stalls until cancelled. */
function words(end: 'done' | 'break' | 'stall'): Response {
  if (end === 'done') return sse([...WORDS.map(chunk), { ...chunk(''), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }, 'data: [DONE]\n\n'])
  let stop = false
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      for (const w of WORDS) c.enqueue(data(chunk(w)))
      c.enqueue(data(chunk('END')))
      if (end === 'break') {
        await Bun.sleep(30)
        return c.error(new Error('the fake provider broke the stream'))
      }
      while (!stop) await Bun.sleep(20)
    },
    cancel() {
      stop = true
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

const eventOf = (id: string) => eventually(() => lectr.events().find((e) => e.id === id))

/** The event has the estimate for `body` and `text`, priced by the registry's formula on those tokens. */
function expectEstimated(e: any, body: string, text: string) {
  const inputTokens = Math.ceil(Buffer.byteLength(body) / 4)
  const outputTokens = Math.ceil(text.length / 4)
  expect(inputTokens).toBeGreaterThan(30)
  expect(e).toMatchObject({ usage_estimated: 1, input_tokens: inputTokens, cached_input_tokens: 0, output_tokens: outputTokens, reasoning_tokens: 0 })
  expect(e.cost_usd).not.toBeNull()
  expect(e.cost_usd).toBeCloseTo(costUsd(PRICE, { inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens, reasoningTokens: 0 })!, 12)
  expect(e.cost_usd).toBeGreaterThan(0)
}

test('a stream that completes with [DONE] but no usage chunk: estimated, priced', async () => {
  up.script = () => words('done')
  const body = JSON.stringify(request())
  const res = await lectr.post('chat/completions', body)
  expect(res.status).toBe(200)
  const text = await res.text()
  expect(text).toContain('[DONE]')
  // Lectr asked for usage; the provider ignored it
  expect(JSON.parse(up.last.body).stream_options).toEqual({ include_usage: true })
  const e = await eventOf(res.headers.get('x-lectr-request-id')!)
  expect(e).toMatchObject({ status: 200, error_code: null, stream: 1, response_model: 'gpt-4o-mini-2024-07-18' })
  expectEstimated(e, body, WORDS.join(''))
})

test('a stream the upstream broke off: estimated, input included', async () => {
  up.script = () => words('break')
  const body = JSON.stringify(request())
  const res = await lectr.post('chat/completions', body)
  await res.text().catch(() => '')
  const e = await eventOf(res.headers.get('x-lectr-request-id')!)
  expect(e).toMatchObject({ status: 200, error_code: 'lectr_upstream_broken', stream: 1 })
  expectEstimated(e, body, WORDS.join('') + 'END')
})

test('a client that leaves mid-stream: 499, estimated, input included', async () => {
  up.script = () => words('stall')
  const body = JSON.stringify(request())
  const ac = new AbortController()
  const res = await fetch(`${lectr.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-lectr-key': lectr.orgKey },
    body,
    signal: ac.signal,
  })
  const id = res.headers.get('x-lectr-request-id')!
  const reader = res.body!.getReader()
  const dec = new TextDecoder()
  let seen = ''
  while (!seen.includes('END')) {
    const { done, value } = await reader.read()
    if (done) throw new Error('the stream ended before END')
    seen += dec.decode(value, { stream: true })
  }
  ac.abort()
  await reader.cancel().catch(() => {})
  const e = await eventOf(id)
  expect(e).toMatchObject({ status: 499, error_code: 'lectr_client_gone', stream: 1 })
  expectEstimated(e, body, WORDS.join('') + 'END')
})

test('a stream the provider refused (4xx as an event stream) consumed no input: nothing estimated', async () => {
  up.script = () => new Response(`data: ${JSON.stringify({ error: { message: 'no', type: 'invalid_request_error', code: 'bad' } })}\n\n`, { status: 400, headers: { 'content-type': 'text/event-stream' } })
  const res = await lectr.post('chat/completions', request())
  await res.text()
  const e = await eventOf(res.headers.get('x-lectr-request-id')!)
  expect(e).toMatchObject({ status: 400, error_code: 'bad', usage_estimated: 0, input_tokens: null, cost_usd: 0 })
})

test("the provider's totals, when sent, are recorded as they are", async () => {
  const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 }
  up.script = () => sse([chunk('hi'), { ...chunk(''), choices: [], usage }, 'data: [DONE]\n\n'])
  const res = await lectr.post('chat/completions', request())
  await res.text()
  const e = await eventOf(res.headers.get('x-lectr-request-id')!)
  expect(e).toMatchObject({ usage_estimated: 0, input_tokens: 7, output_tokens: 3 })
})
