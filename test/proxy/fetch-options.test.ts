import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config'
import { startServer, type Running } from '../../src/server'
import { FakeUpstream, chatJson, openaiChatStream, sse } from '../helpers/fake-upstream'

// Bun's fetch cuts a connection that has been quiet for 5 minutes unless `timeout: false` is passed: a reasoning
// model may think longer than that before its first byte, or between two chunks. No test can wait 5 minutes, so
// this one checks, on real requests through Lectr, that every upstream fetch is made with the options that keep it
// open (Lectr's own first-byte timer governs instead, see failures.test.ts), and that redirects are not followed.
let up: FakeUpstream
let lectr: Running
let key: string
const seen: { url: string; init: RequestInit & { timeout?: boolean } }[] = []

beforeAll(async () => {
  up = new FakeUpstream()
  const parsed = parseConfig([], {
    LECTR_HOST: '127.0.0.1',
    LECTR_PORT: '0',
    LECTR_DB: join(mkdtempSync(join(tmpdir(), 'lectr-test-')), 'lectr.db'),
    LECTR_ADMIN_TOKEN: 'test-admin-token-0123456789',
    LECTR_OPENAI_BASE_URL: up.baseUrl,
    LECTR_ALLOW_PRIVATE_UPSTREAMS: '1',
  })
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  const spy = ((url: string, init: RequestInit) => {
    seen.push({ url: String(url), init })
    return fetch(url, init)
  }) as typeof fetch
  lectr = await startServer(parsed.config, { log: () => {}, fetch: spy })
  key = lectr.defaultOrgKey!
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const post = (body: unknown) =>
  fetch(`${lectr.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-lectr-key': key, 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: JSON.stringify(body),
  })

test('every upstream fetch is made without Bun\'s 5-minute idle timeout, abortable, and without following redirects', async () => {
  up.script = () => chatJson()
  expect((await post({ model: 'gpt-4o', messages: [] })).status).toBe(200)
  up.script = () => sse(openaiChatStream(3, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 }))
  expect(await (await post({ model: 'gpt-4o', stream: true, messages: [] })).text()).toContain('[DONE]')

  expect(seen.length).toBe(2)
  for (const { url, init } of seen) {
    expect(url).toBe(`${up.baseUrl}/chat/completions`)
    expect(init.timeout).toBe(false)
    expect(init.redirect).toBe('manual')
    expect(init.signal).toBeInstanceOf(AbortSignal)
  }
})
