import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config'
import { FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'

// LECTR_STREAM_IDLE_MS: a started stream whose provider goes quiet for longer is ended with an error event.

const IDLE_MS = 300
let up: FakeUpstream
let lectr: TestLectr
beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up, {}, { LECTR_STREAM_IDLE_MS: String(IDLE_MS) })
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

/** Sends `parts` as they are, then nothing more, ever (until the reader goes away). */
function stallsAfter(parts: string[], contentType = 'text/event-stream'): Response {
  const enc = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(enc.encode(p))
    },
  })
  return new Response(body, { headers: { 'content-type': contentType } })
}

const CHUNK = (text: string) => `data: ${JSON.stringify({ id: 'c', model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta: { content: text } }] })}\n\n`

describe('LECTR_STREAM_IDLE_MS', () => {
  test('a stream that stalls is ended with an SSE error event, the upstream aborted, the event lectr_upstream_stalled', async () => {
    up.script = () => stallsAfter([CHUNK('Hello'), CHUNK(' world')])
    const aborted = up.aborted
    const before = lectr.events().length
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.startsWith(CHUNK('Hello') + CHUNK(' world'))).toBe(true)
    const tail = text.slice((CHUNK('Hello') + CHUNK(' world')).length)
    expect(tail).toStartWith('event: error\ndata: ')
    expect(tail).toEndWith('\n\n')
    const error = JSON.parse(tail.slice('event: error\ndata: '.length))
    expect(error).toEqual({ error: { message: expect.stringContaining('LECTR_STREAM_IDLE_MS'), type: 'upstream_error', code: 'lectr_upstream_stalled' } })
    await eventually(() => up.aborted > aborted)
    const event = await eventually(() => lectr.events()[before])
    expect(event).toMatchObject({ status: 200, error_code: 'lectr_upstream_stalled', stream: 1, usage_estimated: 1 })
    expect(event.output_tokens).toBeGreaterThan(0)
  })

  test('a provider that stalls in the middle of an event: the error event still starts on a line of its own', async () => {
    up.script = () => stallsAfter([CHUNK('Hello'), 'data: {"id":"c","cho'])
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] })
    const text = await res.text()
    expect(text).toContain('data: {"id":"c","cho\n\nevent: error\ndata: {"error":')
    expect(text).toContain('"code":"lectr_upstream_stalled"')
  })

  test('a stream with pauses shorter than the limit is not cut', async () => {
    up.script = () => sse(openaiChatStream(4, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }), { delayMs: IDLE_MS / 3 })
    const before = lectr.events().length
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    const text = await res.text()
    expect(text).toContain('tok3')
    expect(text).toEndWith('data: [DONE]\n\n')
    expect(text).not.toContain('lectr_upstream_stalled')
    const event = await eventually(() => lectr.events()[before])
    expect(event).toMatchObject({ status: 200, error_code: null, output_tokens: 4 })
  })

  test('a stalled answer that is not an event stream (a piped JSON answer) is cut off, recorded as lectr_upstream_stalled', async () => {
    up.script = () => stallsAfter(['{"object":"list","data":['], 'application/json')
    const before = lectr.events().length
    const res = await lectr.post('embeddings', { model: 'text-embedding-3-small', input: 'x' })
    expect(res.status).toBe(200)
    // not a clean end: the client must not take the truncated body for the whole answer
    expect(await res.text().then(() => 'ended', () => 'cut')).toBe('cut')
    const event = await eventually(() => lectr.events()[before])
    expect(event).toMatchObject({ status: 200, error_code: 'lectr_upstream_stalled' })
  })

  test('the setting: off (0) by default; --stream-idle-ms and LECTR_STREAM_IDLE_MS set it; negative refused', () => {
    const parsed = parseConfig([], {})
    expect(parsed.ok && parsed.config.streamIdleMs).toBe(0)
    const flag = parseConfig(['--stream-idle-ms', '120000'], {})
    expect(flag.ok && flag.config.streamIdleMs).toBe(120000)
    const env = parseConfig([], { LECTR_STREAM_IDLE_MS: '5000' })
    expect(env.ok && env.config.streamIdleMs).toBe(5000)
    expect(parseConfig(['--stream-idle-ms', '-1'], {}).ok).toBe(false)
  })
})
