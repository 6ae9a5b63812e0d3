/**
 * Requests that failed are events too: upstream errors (status and the provider's error code), unreachable
 * upstreams, timeouts, clients that left mid-stream (499 with the tokens seen so far, estimated where the provider
 * never sent totals), mid-stream error payloads and broken upstream connections.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { eventually, postAndLeaveBeforeAnswer, startLectr, type TestLectr } from '../helpers/lectr'
import { expectedCost } from '../sdk/fake-providers'
import { errorOf } from '../helpers/json'

let up: FakeUpstream
let lectr: TestLectr
let deadPort: number

const enc = new TextEncoder()
const data = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`
const chunk = (model: string, content: string | null, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model,
  choices: content === null ? [] : [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
  ...extra,
})

/** Sends `blocks`, then (by `end`) stalls until cancelled, closes, or breaks the connection. */
function stream(blocks: string[], end: 'stall' | 'close' | 'break'): Response {
  let stop = false
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const b of blocks) {
        controller.enqueue(enc.encode(b))
        await Bun.sleep(2)
      }
      if (end === 'close') return controller.close()
      if (end === 'break') {
        await Bun.sleep(20)
        return controller.error(new Error('upstream connection broke'))
      }
      while (!stop) await Bun.sleep(20)
    },
    cancel() {
      stop = true
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

function post(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${lectr.url}/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-lectr-key': lectr.orgKey, ...headers },
    body: JSON.stringify(body),
    signal,
  })
}

const eventOf = (res: Response | string) => {
  const id = typeof res === 'string' ? res : res.headers.get('x-lectr-request-id')
  expect(id).toBeTruthy()
  return eventually(() => lectr.events().find((e) => e.id === id))
}

/** Reads a stream until `marker` has arrived, then leaves (aborts the request). Returns the event id. */
async function readUntilThenLeave(res: Response, marker: string, ac: AbortController): Promise<string> {
  const id = res.headers.get('x-lectr-request-id')!
  const reader = res.body!.getReader()
  const dec = new TextDecoder()
  let text = ''
  while (!text.includes(marker)) {
    const { done, value } = await reader.read()
    if (done) throw new Error('stream ended before the marker')
    text += dec.decode(value, { stream: true })
  }
  ac.abort()
  await reader.cancel().catch(() => {})
  return id
}

beforeAll(async () => {
  up = new FakeUpstream()
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  deadPort = probe.port!
  probe.stop(true)
  lectr = await startLectr(up, { upstreamTimeoutMs: 400 }, { LECTR_GROQ_BASE_URL: `http://127.0.0.1:${deadPort}/openai/v1` })
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

describe('upstream errors: the status and the provider error code are recorded, the body passes unchanged', () => {
  const cases: { name: string; status: number; body: string; code: string | null; model: string; provider?: string }[] = [
    {
      name: 'openai rate limit',
      status: 429,
      body: JSON.stringify({ error: { message: 'Rate limit reached for gpt-4o', type: 'requests', param: null, code: 'rate_limit_exceeded' } }),
      code: 'rate_limit_exceeded',
      model: 'gpt-4o',
    },
    {
      name: 'openai bad key',
      status: 401,
      body: JSON.stringify({ error: { message: 'Incorrect API key provided: sk-test***', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }),
      code: 'invalid_api_key',
      model: 'gpt-4o-mini',
    },
    {
      name: 'anthropic overloaded (type only)',
      status: 529,
      body: JSON.stringify({ error: { type: 'overloaded_error', message: 'Overloaded' } }),
      code: 'overloaded_error',
      model: 'claude-sonnet-4-5-20250929',
    },
    {
      name: 'gemini error wrapped in an array',
      status: 400,
      body: JSON.stringify([{ error: { code: 400, message: 'Invalid JSON payload', status: 'INVALID_ARGUMENT' } }]),
      code: 'INVALID_ARGUMENT',
      model: 'gemini-2.5-flash',
    },
    {
      name: 'azure content filter',
      status: 400,
      body: JSON.stringify({ error: { message: 'filtered', type: null, param: 'prompt', code: 'content_filter', status: 400, innererror: { code: 'ResponsibleAIPolicyViolation' } } }),
      code: 'content_filter',
      model: 'gpt-4o',
    },
    { name: 'a bare 500 with an HTML page', status: 500, body: '<html><body>Internal Server Error</body></html>', code: null, model: 'gpt-4o' },
    { name: 'a 503 that is not JSON at all', status: 503, body: 'upstream connect error', code: null, model: 'gpt-4.1' },
  ]
  for (const c of cases) {
    test(c.name, async () => {
      up.script = () => new Response(c.body, { status: c.status, headers: { 'content-type': c.body.startsWith('<') ? 'text/html' : 'application/json' } })
      const res = await post('chat/completions', { model: c.model, messages: [] })
      expect(res.status).toBe(c.status)
      expect(await res.text()).toBe(c.body)
      const e = await eventOf(res)
      expect(e.status).toBe(c.status)
      expect(e.error_code).toBe(c.code)
      expect(e.input_tokens).toBeNull()
      expect(e.output_tokens).toBeNull()
      // a failure that reported no usage consumed nothing: a known $0, not "pricing unavailable"
      expect(e.cost_usd).toBe(0)
      expect(e.ttfb_ms).toBeGreaterThanOrEqual(0)
    })
  }

  test('through the SDK: an APIError for the client, one event with status and code', async () => {
    up.script = () => Response.json({ error: { message: 'model not found', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }, { status: 404 })
    const client = new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'sk-test', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
    const before = lectr.events().length
    const err = await client.chat.completions.create({ model: 'gpt-9-turbo', messages: [] }).catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.APIError)
    expect(err.status).toBe(404)
    expect(err.code).toBe('model_not_found')
    const id = err.headers.get('x-lectr-request-id')
    const e = await eventOf(id)
    expect(e).toMatchObject({ status: 404, error_code: 'model_not_found', model: 'gpt-9-turbo', provider: 'openai' })
    expect(lectr.events().length).toBe(before + 1)
  })

  test('an upstream error with usage in the body still records the usage and its cost', async () => {
    up.script = () =>
      Response.json(
        { error: { message: 'max tokens', type: 'invalid_request_error', code: 'context_length_exceeded' }, usage: { prompt_tokens: 100, completion_tokens: 0, total_tokens: 100 } },
        { status: 400 },
      )
    const res = await post('chat/completions', { model: 'gpt-4o', messages: [] })
    const e = await eventOf(res)
    expect(e).toMatchObject({ status: 400, error_code: 'context_length_exceeded', input_tokens: 100, output_tokens: 0 })
    expect(e.cost_usd).toBeCloseTo(expectedCost('gpt-4o', 100, 0, 0), 12)
  })
})

describe('no answer from upstream', () => {
  test('unreachable upstream: 502 lectr_upstream_unreachable, recorded with its provider and model', async () => {
    const res = await post('chat/completions', { model: 'llama-3.1-8b-instant', messages: [] })
    expect(res.status).toBe(502)
    const body = await errorOf(res)
    expect(body.error.code).toBe('lectr_upstream_unreachable')
    const e = await eventOf(res)
    expect(e).toMatchObject({ status: 502, error_code: 'lectr_upstream_unreachable', provider: 'groq', model: 'llama-3.1-8b-instant', ttfb_ms: null })
    expect(e.input_tokens).toBeNull()
  })

  test('no first byte within the timeout: 504 lectr_upstream_timeout, the upstream request cancelled', async () => {
    const aborted = up.aborted
    let upstreamReady = false
    up.script = async () => {
      await Bun.sleep(1500)
      upstreamReady = true
      return chatJson()
    }
    const res = await post('chat/completions', { model: 'gpt-4o', messages: [] })
    expect(res.status).toBe(504)
    // Lectr answered at its own timeout, not once the upstream had its answer ready
    expect(upstreamReady).toBe(false)
    expect((await errorOf(res)).error.code).toBe('lectr_upstream_timeout')
    const e = await eventOf(res)
    expect(e).toMatchObject({ status: 504, error_code: 'lectr_upstream_timeout', provider: 'openai' })
    expect(e.latency_ms).toBeGreaterThanOrEqual(390)
    await eventually(() => up.aborted > aborted)
  })

  test('a stream that started in time is not cut by the first-byte timeout when it pauses longer', async () => {
    // A first-byte timeout of its own with room for a loaded machine (400 ms was once not enough for the first chunk).
    const patient = await startLectr(up, { upstreamTimeoutMs: 1500 })
    up.script = () => {
      const body = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(enc.encode(data(chunk('gpt-4o-2024-08-06', 'a'))))
          await Bun.sleep(2500)
          c.enqueue(enc.encode(data(chunk('gpt-4o-2024-08-06', null, { usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 } }))))
          c.enqueue(enc.encode('data: [DONE]\n\n'))
          c.close()
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    }
    try {
      const res = await patient.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
      expect(await res.text()).toContain('[DONE]')
      const id = res.headers.get('x-lectr-request-id')
      const e = await eventually(() => patient.events().find((x) => x.id === id))
      expect(e).toMatchObject({ status: 200, error_code: null, input_tokens: 2, output_tokens: 1, usage_estimated: 0 })
    } finally {
      await patient.stop()
    }
  }, 30_000)
})

describe('clients that left mid-stream: 499 with the tokens seen so far', () => {
  test('openai, totals never sent: output estimated from the text seen (4 characters a token), usage_estimated', async () => {
    const model = 'gpt-4o-2024-08-06'
    const pieces = Array.from({ length: 10 }, (_, i) => `word${i} `) // 6 characters each
    up.script = () => stream([...pieces.map((p) => data(chunk(model, p, { usage: null }))), data(chunk(model, 'END', { usage: null }))], 'stall')
    const ac = new AbortController()
    const aborted = up.aborted
    const request = { model: 'gpt-4o', stream: true, messages: [] }
    const res = await post('chat/completions', request, {}, ac.signal)
    const id = await readUntilThenLeave(res, 'END', ac)
    const e = await eventOf(id)
    const chars = pieces.join('').length + 'END'.length
    // input estimated from the request body's size, 4 bytes a token
    const input = Math.ceil(JSON.stringify(request).length / 4)
    expect(e).toMatchObject({ status: 499, error_code: 'lectr_client_gone', stream: 1, usage_estimated: 1, input_tokens: input, output_tokens: Math.ceil(chars / 4), response_model: model })
    expect(e.cost_usd).toBeCloseTo(expectedCost('gpt-4o', input, 0, Math.ceil(chars / 4)), 12)
    await eventually(() => up.aborted > aborted)
  })

  test('gemini: the last cumulative usage seen, usage_estimated', async () => {
    const model = 'gemini-2.5-flash'
    const blocks = [1, 2, 3].map((n) => data(chunk(model, `part${n}`, { usage: { prompt_tokens: 30, completion_tokens: 5 * n, total_tokens: 30 + 5 * n } })))
    up.script = () => stream(blocks, 'stall')
    const ac = new AbortController()
    const res = await post('chat/completions', { model, stream: true, messages: [] }, {}, ac.signal)
    const id = await readUntilThenLeave(res, 'part3', ac)
    const e = await eventOf(id)
    expect(e).toMatchObject({ status: 499, usage_estimated: 1, input_tokens: 30, output_tokens: 15, provider: 'gemini' })
    expect(e.cost_usd).toBeCloseTo(expectedCost(model, 30, 0, 15), 12)
  })

  test('the totals had arrived before the client left: exact, not estimated', async () => {
    const model = 'gpt-4o-2024-08-06'
    const usage = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }
    up.script = () => stream([data(chunk(model, 'hi', { usage: null })), data(chunk(model, null, { usage })), ': keep-alive\n\n'], 'stall')
    const ac = new AbortController()
    const res = await post('chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] }, {}, ac.signal)
    const id = await readUntilThenLeave(res, 'keep-alive', ac)
    const e = await eventOf(id)
    expect(e).toMatchObject({ status: 499, usage_estimated: 0, input_tokens: 9, output_tokens: 4 })
  })

  test('Responses API stream: estimated from the output_text deltas', async () => {
    const ev = (type: string, p: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...p })}\n\n`
    up.script = () =>
      stream(
        [
          ev('response.created', { sequence_number: 0, response: { id: 'r', object: 'response', model: 'gpt-4.1-2025-04-14', status: 'in_progress', usage: null } }),
          ev('response.output_text.delta', { sequence_number: 1, item_id: 'm', output_index: 0, content_index: 0, delta: 'abcdefgh' }),
          ev('response.output_text.delta', { sequence_number: 2, item_id: 'm', output_index: 0, content_index: 0, delta: 'ijkl' }),
        ],
        'stall',
      )
    const ac = new AbortController()
    const res = await post('responses', { model: 'gpt-4.1', stream: true, input: 'x' }, {}, ac.signal)
    const id = await readUntilThenLeave(res, 'ijkl', ac)
    const e = await eventOf(id)
    expect(e).toMatchObject({ status: 499, endpoint: 'responses', usage_estimated: 1, output_tokens: 3, response_model: 'gpt-4.1-2025-04-14' })
  })

  test('left before the first byte: 499 without usage', async () => {
    up.script = async () => {
      await Bun.sleep(300)
      return chatJson()
    }
    const local = await startLectr(up, { upstreamTimeoutMs: 5000 })
    try {
      await postAndLeaveBeforeAnswer(local, up)
      const e = await eventually(() => local.events().find((x) => x.status === 499))
      expect(e).toMatchObject({ error_code: 'lectr_client_gone', usage_estimated: 0, input_tokens: null, output_tokens: null })
      expect(local.events().length).toBe(1)
    } finally {
      await local.stop()
    }
  })
})

describe('streams that failed upstream', () => {
  test('a mid-stream error payload: the client gets it unchanged, the event records the code', async () => {
    const model = 'gpt-4o-2024-08-06'
    const err = { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }
    const blocks = [data(chunk(model, 'Partial', { usage: null })), data(err)]
    up.script = () => stream(blocks, 'close')
    const res = await post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(blocks.join(''))
    const e = await eventOf(res)
    expect(e).toMatchObject({ status: 200, error_code: 'server_error', response_model: model, stream: 1 })

    // the SDK raises it
    up.script = () => stream(blocks, 'close')
    const client = new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'sk-test', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
    const s = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [] })
    const thrown = await (async () => {
      for await (const _ of s);
    })().catch((x) => x)
    expect(thrown).toBeInstanceOf(OpenAI.APIError)
  })

  test('Responses API: response.failed carries the code and the usage; an error event its code', async () => {
    const ev = (type: string, p: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...p })}\n\n`
    const usage = { input_tokens: 50, input_tokens_details: { cached_tokens: 0 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 60 }
    up.script = () =>
      stream(
        [
          ev('response.created', { sequence_number: 0, response: { id: 'r', model: 'gpt-4.1-2025-04-14', status: 'in_progress', usage: null, error: null } }),
          ev('response.failed', { sequence_number: 1, response: { id: 'r', model: 'gpt-4.1-2025-04-14', status: 'failed', error: { code: 'server_error', message: 'failed' }, usage } }),
        ],
        'close',
      )
    let res = await post('responses', { model: 'gpt-4.1', stream: true, input: 'x' })
    await res.text()
    let e = await eventOf(res)
    expect(e).toMatchObject({ status: 200, error_code: 'server_error', input_tokens: 50, output_tokens: 10, usage_estimated: 0 })
    expect(e.cost_usd).toBeCloseTo(expectedCost('gpt-4.1', 50, 0, 10), 12)

    up.script = () => stream([ev('error', { sequence_number: 0, code: 'rate_limit_exceeded', message: 'Slow down', param: null })], 'close')
    res = await post('responses', { model: 'gpt-4.1', stream: true, input: 'x' })
    await res.text()
    e = await eventOf(res)
    expect(e).toMatchObject({ status: 200, error_code: 'rate_limit_exceeded' })
  })

  test('the upstream connection breaks mid-stream: lectr_upstream_broken, tokens seen so far estimated', async () => {
    const model = 'gpt-4o-2024-08-06'
    up.script = () => stream([data(chunk(model, 'abcdefgh', { usage: null })), data(chunk(model, 'ijklmnop', { usage: null }))], 'break')
    const res = await post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    expect(res.status).toBe(200)
    const text = await res.text().catch(() => 'cut')
    expect(typeof text).toBe('string')
    const e = await eventOf(res)
    expect(e).toMatchObject({ status: 200, error_code: 'lectr_upstream_broken', usage_estimated: 1, output_tokens: 4 })
  })
})

describe('refused by Lectr after the org-key check: one event each, nothing upstream', () => {
  test('invalid provider header, malformed JSON, too large; a bad org key is no event at all', async () => {
    const small = await startLectr(up, { maxBodyBytes: 2048 })
    try {
      const n = up.received.length
      const send = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${small.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-lectr-key': small.orgKey, ...headers }, body })
      const r1 = await send('{"model":"gpt-4o","messages":[]}', { 'x-lectr-provider': 'openia' })
      const r2 = await send('{"model": "gpt-4o", "messages": [')
      const r3 = await send(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(4096) }] }))
      const r4 = await send('{}', { 'x-lectr-key': 'lectr_wrong' })
      expect([r1.status, r2.status, r3.status, r4.status]).toEqual([400, 400, 413, 401])
      expect(up.received.length).toBe(n)
      const events = small.events()
      expect(events.map((e) => [e.status, e.error_code])).toEqual([
        [400, 'lectr_invalid_provider'],
        [400, 'lectr_invalid_json'],
        [413, 'lectr_body_too_large'],
      ])
      for (const e of events) expect(e.cost_usd).toBe(0)
    } finally {
      await small.stop()
    }
  })
})

// KNOWN BUG (src/proxy/handler.ts:113 and the catch at :242): a client that goes away while still sending its body
// makes `readBodyWithLimit` throw, and the outer catch records 500 `lectr_internal`, as if Lectr had failed.
// Fix: in that catch, `if (req.signal.aborted) { finish(499, null, 'lectr_client_gone', null); return new Response(null, { status: 499 }) }`
// (or catch around `readBodyWithLimit`). Remove `.failing` once fixed.
test('a client that leaves while sending its body is a 499, not a Lectr failure', async () => {
  const local = await startLectr(up)
  try {
    const ac = new AbortController()
    let n = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (n++ < 2) c.enqueue(enc.encode('{"model":"gpt-4o","pad":"' + 'y'.repeat(1000)))
        await Bun.sleep(n > 2 ? 5000 : 30)
      },
    })
    const p = fetch(`${local.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-lectr-key': local.orgKey, 'content-type': 'application/json' },
      body,
      signal: ac.signal,
      // @ts-ignore Bun streams request bodies
      duplex: 'half',
    }).catch(() => null)
    await Bun.sleep(200)
    ac.abort()
    await p
    const e = await eventually(() => local.events()[0])
    expect([e.status, e.error_code]).toEqual([499, 'lectr_client_gone'])
  } finally {
    await local.stop()
  }
})
