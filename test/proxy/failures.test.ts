import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, chatJson, openaiChatStream, sse } from '../helpers/fake-upstream'
import { eventually, postAndLeaveBeforeAnswer, startLectr, type TestLectr } from '../helpers/lectr'
import { errorOf, openaiAnswerOf } from '../helpers/json'

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up, { maxBodyBytes: 64 * 1024, upstreamTimeoutMs: 400 })
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

describe('body limit', () => {
  test('a declared body over the limit: 413 before any upstream contact, one event', async () => {
    const before = up.received.length
    const big = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] })
    const res = await lectr.post('chat/completions', big)
    expect(res.status).toBe(413)
    expect((await errorOf(res)).error.code).toBe('lectr_body_too_large')
    expect(up.received.length).toBe(before)
    expect(lectr.events().at(-1).status).toBe(413)
  })
  test('a chunked body over the limit is cut while reading: 413', async () => {
    const before = up.received.length
    const enc = new TextEncoder()
    const stream = new ReadableStream({
      async pull(c) {
        c.enqueue(enc.encode('{"model":"gpt-4o","x":"' + 'y'.repeat(16 * 1024)))
        await Bun.sleep(1)
      },
    })
    const res = await fetch(`${lectr.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-lectr-key': lectr.orgKey, 'content-type': 'application/json' },
      body: stream,
      // @ts-ignore Bun streams request bodies
      duplex: 'half',
    })
    expect(res.status).toBe(413)
    expect(up.received.length).toBe(before)
  })
})

describe('upstream failures', () => {
  test('unreachable upstream: 502 lectr_upstream_unreachable with no key in it, recorded', async () => {
    const dead = await startLectr(null, {}, { LECTR_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' })
    try {
      const res = await dead.post('chat/completions', { model: 'gpt-4o', messages: [] }, { authorization: 'Bearer canary-key-ABCDEFGH' })
      expect(res.status).toBe(502)
      const text = await res.text()
      expect(JSON.parse(text).error.code).toBe('lectr_upstream_unreachable')
      expect(text).not.toContain('canary')
      const e = dead.events().at(-1)
      expect(e.status).toBe(502)
      expect(e.error_code).toBe('lectr_upstream_unreachable')
    } finally {
      await dead.stop()
    }
  })

  test('no first byte within the timeout: 504 lectr_upstream_timeout, upstream cancelled', async () => {
    up.script = async (req) => {
      await Bun.sleep(2000)
      return chatJson()
    }
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] })
    expect(res.status).toBe(504)
    expect((await errorOf(res)).error.code).toBe('lectr_upstream_timeout')
    expect(lectr.events().at(-1).status).toBe(504)
  })

  test('a client that leaves mid-stream cancels the upstream and is recorded as 499', async () => {
    const abortedBefore = up.aborted
    up.script = () => sse(openaiChatStream(200, { prompt_tokens: 3, completion_tokens: 200, total_tokens: 203 }), { delayMs: 20 })
    const ac = new AbortController()
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] }, {})
    const reader = res.body!.getReader()
    await reader.read()
    await reader.read()
    await reader.cancel()
    ac.abort()
    await eventually(() => up.aborted > abortedBefore)
    const e = await eventually(() => lectr.events().find((x) => x.status === 499))
    expect(e.stream).toBe(1)
  })

  test('a client that leaves before the answer cancels the upstream and is recorded as 499', async () => {
    const abortedBefore = up.aborted
    up.script = async () => {
      await Bun.sleep(300)
      return chatJson()
    }
    const local = await startLectr(up, { upstreamTimeoutMs: 5000 })
    try {
      await postAndLeaveBeforeAnswer(local, up)
      await eventually(() => up.aborted > abortedBefore)
      const e = await eventually(() => local.events().find((x) => x.status === 499))
      expect(e.error_code).toBe('lectr_client_gone')
    } finally {
      await local.stop()
    }
  })
})

describe('reused abort controllers (see createUpstreamWatch)', () => {
  test('after answers read whole and streamed, a timeout still gives 504 and cancels, the next request still answers, a client that leaves still cancels', async () => {
    const local = await startLectr(up, { upstreamTimeoutMs: 300 })
    try {
      up.script = () => chatJson()
      for (let i = 0; i < 5; i++) expect((await local.post('chat/completions', { model: 'gpt-4o', messages: [] })).status).toBe(200)
      up.script = () => sse(openaiChatStream(3, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 }))
      expect(await (await local.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })).text()).toContain('[DONE]')

      const abortedBefore = up.aborted
      up.script = async () => {
        await Bun.sleep(2000)
        return chatJson()
      }
      const timedOut = await local.post('chat/completions', { model: 'gpt-4o', messages: [] })
      expect(timedOut.status).toBe(504)
      await eventually(() => up.aborted > abortedBefore)

      // the aborted controller is not handed to the next request, which would then fail at once
      up.script = () => chatJson()
      const next = await local.post('chat/completions', { model: 'gpt-4o', messages: [] })
      expect(next.status).toBe(200)
      expect((await openaiAnswerOf(next, 'chat')).choices[0].message.content).toBe('Hello!')

      const abortedMid = up.aborted
      up.script = () => sse(openaiChatStream(200, { prompt_tokens: 3, completion_tokens: 200, total_tokens: 203 }), { delayMs: 20 })
      const res = await local.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
      const reader = res.body!.getReader()
      await reader.read()
      await reader.cancel()
      await eventually(() => up.aborted > abortedMid)
      const statuses = (await eventually(() => (local.events().length === 9 ? local.events() : null))).map((e) => e.status)
      expect(statuses.sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 499, 504])
    } finally {
      await local.stop()
    }
  })
})

describe('streaming', () => {
  test('chunks pass through as they arrive, not buffered', async () => {
    // The upstream sends its first chunk, then holds back the rest until the client has that chunk: a proxy that
    // waited for more (the whole body) would never pass it on. The hold ends after 10 s anyway, so that such a proxy
    // fails this test rather than hangs it.
    const [first, ...rest] = openaiChatStream(5, null).map((e) => (typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`))
    let release = () => {}
    const released = new Promise<void>((r) => (release = r))
    let sentRest = false
    up.script = () => {
      const enc = new TextEncoder()
      const body = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(enc.encode(first))
          await Promise.race([released, Bun.sleep(10_000)])
          sentRest = true
          for (const e of rest) c.enqueue(enc.encode(e))
          c.close()
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    }
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] })
    const reader = res.body!.getReader()
    const firstRead = await reader.read()
    expect(sentRest).toBe(false)
    expect(new TextDecoder().decode(firstRead.value)).toContain('tok0')
    release()
    let text = ''
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value)
    expect(text).toContain('tok4')
    expect(text).toContain('[DONE]')
  })

  test('a stream that goes silent for longer than the idle timeout (11 s) is not cut', async () => {
    up.script = () => sse(openaiChatStream(3, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 }), { gapAfter: { 1: 11_000 } })
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    const text = await res.text()
    expect(text).toContain('tok2')
    expect(text).toContain('[DONE]')
  }, 30_000)
})
