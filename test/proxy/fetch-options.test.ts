import { afterAll, beforeAll, expect, test } from 'bun:test'
import { FakeUpstream, chatJson, openaiChatStream, sse } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'

// Bun's fetch cuts a connection that has been quiet for 5 minutes unless `timeout: false` is passed: a reasoning
// model may think longer than that before its first byte, or between two chunks. No test can wait 5 minutes, so
// this one checks, on real requests through Lectr, that every upstream fetch is made with the options that keep it
// open (Lectr's own first-byte timer governs instead, see failures.test.ts), and that redirects are not followed.
let up: FakeUpstream
let lectr: TestLectr
const seen: { url: string; init: RequestInit & { timeout?: boolean } }[] = []

beforeAll(async () => {
  up = new FakeUpstream()
  const spy = ((url: string, init: RequestInit) => {
    seen.push({ url: String(url), init })
    return fetch(url, init)
  }) as typeof fetch
  lectr = await startLectr(up, {}, {}, spy)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

test('every upstream fetch is made without Bun\'s 5-minute idle timeout, abortable, and without following redirects', async () => {
  up.script = () => chatJson()
  expect((await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] })).status).toBe(200)
  up.script = () => sse(openaiChatStream(3, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 }))
  expect(await (await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })).text()).toContain('[DONE]')

  expect(seen.length).toBe(2)
  for (const { url, init } of seen) {
    expect(url).toBe(`${up.baseUrl}/chat/completions`)
    expect(init.timeout).toBe(false)
    expect(init.redirect).toBe('manual')
    expect(init.signal).toBeInstanceOf(AbortSignal)
  }
})
