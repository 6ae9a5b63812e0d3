import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { FakeUpstream, openaiChatStream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { stalledRequest } from '../helpers/raw-client'

// SPEC 8: a stream is complete once its terminal event reached the client. The official SDKs stop reading at
// `[DONE]` and close; a provider that closes a few ms later must not turn that into a 499.

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

/** Sends `events` (strings as they are, anything else as `data: <json>`), then waits `pauseMs` before closing. */
function streamThenPause(events: unknown[], pauseMs: number, gapMs = 0): Response {
  const enc = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for (const e of events) {
          if (gapMs) await Bun.sleep(gapMs)
          controller.enqueue(enc.encode(typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`))
        }
        await Bun.sleep(pauseMs)
        controller.close()
      } catch {
        // Lectr went away
      }
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

const USAGE = { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 }

const ANTHROPIC = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"usage":{"input_tokens":11,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
]

const RESPONSES = [
  'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1","model":"gpt-4o-2024-08-06","status":"in_progress"}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hello"}\n\n',
  'event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_1","model":"gpt-4o-2024-08-06","status":"completed","usage":{"input_tokens":11,"output_tokens":4,"total_tokens":15}}}\n\n',
]

const headers = () => ({ 'x-lectr-key': lectr.orgKey, authorization: 'Bearer provider-key-123', 'content-type': 'application/json' })

/** A raw client that reads up to `marker` and closes; returns the request's one event. */
async function closeAt(path: string, body: unknown, marker: string) {
  const before = lectr.events().length
  const client = stalledRequest(lectr.url, 'POST', path, headers(), JSON.stringify(body))
  const answer = await client.readUntilThenClose(marker)
  expect(answer.status).toBe(200)
  const events = await eventually(() => {
    const all = lectr.events()
    return all.length > before && all
  })
  expect(events.length).toBe(before + 1)
  return events[events.length - 1]
}

describe('a client that closes once the terminal event arrived has the whole answer', () => {
  for (const pauseMs of [1, 10, 50]) {
    test(`chat completions, [DONE], provider closes ${pauseMs} ms later: 200 with usage`, async () => {
      up.script = () => streamThenPause(openaiChatStream(3, USAGE), pauseMs)
      const event = await closeAt('/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: [] }, 'data: [DONE]\n\n')
      expect(event).toMatchObject({ status: 200, error_code: null, input_tokens: 11, output_tokens: 4, usage_estimated: 0 })
    })

    test(`Anthropic messages, message_stop, provider closes ${pauseMs} ms later: 200, not a 499`, async () => {
      up.script = () => streamThenPause(ANTHROPIC, pauseMs)
      const event = await closeAt('/v1/messages', { model: 'claude-sonnet-4-20250514', stream: true, max_tokens: 10, messages: [] }, 'event: message_stop\n')
      expect(event).toMatchObject({ status: 200, error_code: null, provider: 'anthropic', usage_estimated: 0 })
    })

    test(`Responses API, response.completed, provider closes ${pauseMs} ms later: 200 with usage`, async () => {
      up.script = () => streamThenPause(RESPONSES, pauseMs)
      const event = await closeAt('/v1/responses', { model: 'gpt-4o', stream: true, input: 'hi' }, '"type":"response.completed"')
      expect(event).toMatchObject({ status: 200, error_code: null, input_tokens: 11, output_tokens: 4, usage_estimated: 0 })
    })
  }

  test('the official openai SDK, which stops reading at [DONE], streaming through Lectr: 200 with usage', async () => {
    const client = new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'provider-key-123', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
    for (const pauseMs of [1, 10, 50]) {
      up.script = () => streamThenPause(openaiChatStream(3, USAGE), pauseMs)
      const before = lectr.events().length
      const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
      expect(text).toBe('tok0 tok1 tok2 ')
      const events = await eventually(() => {
        const all = lectr.events()
        return all.length > before && all
      })
      expect(events.length).toBe(before + 1)
      expect(events[events.length - 1]).toMatchObject({ status: 200, error_code: null, input_tokens: 11, output_tokens: 4, usage_estimated: 0 })
    }
  })
})

describe('a client that leaves before the terminal event is still a 499', () => {
  test('closed after the usage chunk but before [DONE]', async () => {
    up.script = () => streamThenPause(openaiChatStream(3, USAGE), 1000, 30)
    const event = await closeAt('/v1/chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] }, '"completion_tokens":4')
    expect(event).toMatchObject({ status: 499, error_code: 'lectr_client_gone' })
  })

  test('closed before message_stop', async () => {
    up.script = () => streamThenPause(ANTHROPIC, 1000, 30)
    const event = await closeAt('/v1/messages', { model: 'claude-sonnet-4-20250514', stream: true, max_tokens: 10, messages: [] }, 'event: message_delta\n')
    expect(event).toMatchObject({ status: 499, error_code: 'lectr_client_gone' })
  })

  test('the SDK breaking out of the loop mid-stream', async () => {
    const client = new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'provider-key-123', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
    up.script = () => streamThenPause(openaiChatStream(20, USAGE), 1000, 30)
    const before = lectr.events().length
    const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content === 'tok1 ') break
    const event = await eventually(() => lectr.events()[before])
    expect(event).toMatchObject({ status: 499, error_code: 'lectr_client_gone' })
  })
})
