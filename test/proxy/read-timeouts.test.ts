import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, chatJson, openaiChatStream, sse } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { answerJson, rawConnect, requestHead } from '../helpers/raw-socket'

// Slow clients over raw sockets: Lectr must not let one hold a connection (a file descriptor) for as long as it likes.
// Measured on Bun 1.4.5 and recorded in src/proxy/connection-timeouts.ts.

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up, { bodyTimeoutMs: 1000 })
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const BODY = JSON.stringify({ model: 'gpt-4o', messages: [], pad: 'x'.repeat(60) })

function chatHead(extra: Record<string, string | number> = {}): string {
  const host = new URL(lectr.url).host
  return requestHead('POST', '/v1/chat/completions', {
    host, 'x-lectr-key': lectr.orgKey, authorization: 'Bearer provider-key-123', 'content-type': 'application/json', ...extra,
  })
}

function expect408(raw: string) {
  expect(raw).toStartWith('HTTP/1.1 408')
  expect(raw.toLowerCase()).toContain('connection: close')
  const body = answerJson(raw)
  expect(body.error.code).toBe('lectr_body_timeout')
  expect(body.error.type).toBeString()
  expect(body.error.message).toContain('LECTR_BODY_TIMEOUT_MS')
}

describe('request bodies', () => {
  test('200 connections that send an org key and 1 byte of a 100-byte body: each answered 408, closed by Lectr, one event each', async () => {
    const eventsBefore = lectr.events().length
    const upstreamBefore = up.received.length
    const clients = await Promise.all(Array.from({ length: 200 }, () => rawConnect(lectr.url, chatHead({ 'content-length': 100 }) + '{')))
    const closedAfter = await Promise.all(clients.map((c) => c.closed))
    // Lectr's 1 s deadline, not Bun's own timers (its head timeout is 10-12 s): every client got Lectr's answer
    for (const c of clients) expect408(c.received())
    expect(Math.max(...closedAfter)).toBeLessThan(10_000)
    const events = await eventually(() => {
      const all = lectr.events().slice(eventsBefore)
      return all.length >= 200 && all
    })
    expect(events.length).toBe(200)
    for (const e of events) expect([e.status, e.error_code, e.org_id]).toEqual([408, 'lectr_body_timeout', 'default'])
    expect(up.received.length).toBe(upstreamBefore)
  }, 30_000)

  test('a body trickling 1 byte every 200 ms is cut at the deadline (Content-Length and chunked)', async () => {
    const eventsBefore = lectr.events().length
    const upstreamBefore = up.received.length
    const sized = await rawConnect(lectr.url, chatHead({ 'content-length': BODY.length }))
    const chunked = await rawConnect(lectr.url, chatHead({ 'transfer-encoding': 'chunked' }))
    void sized.trickle(BODY, 200)
    void chunked.trickle(BODY.split('').map((ch) => `1\r\n${ch}\r\n`).join('') + '0\r\n\r\n', 200, 6)
    const [sizedMs, chunkedMs] = await Promise.all([sized.closed, chunked.closed])
    expect408(sized.received())
    expect408(chunked.received())
    // cut long before the trickle would have finished (~20 s)
    expect(Math.max(sizedMs, chunkedMs)).toBeLessThan(10_000)
    const events = await eventually(() => {
      const all = lectr.events().slice(eventsBefore)
      return all.length >= 2 && all
    })
    expect(events.map((e: any) => [e.status, e.error_code])).toEqual([[408, 'lectr_body_timeout'], [408, 'lectr_body_timeout']])
    expect(up.received.length).toBe(upstreamBefore)
  }, 30_000)

  test('a body sent slowly for longer than Bun’s 10 s idle timeout, but within the body deadline, goes through', async () => {
    const patient = await startLectr(up, { bodyTimeoutMs: 20_000 })
    try {
      up.script = () => chatJson()
      const host = new URL(patient.url).host
      const head = requestHead('POST', '/v1/chat/completions', {
        host, 'x-lectr-key': patient.orgKey, 'content-type': 'application/json', 'content-length': BODY.length, connection: 'close',
      })
      const client = await rawConnect(patient.url, head)
      // ~13 s: past Bun's idle timeout (10 s, cut at up to 12 s), well within 20 s
      await client.trickle(BODY, 13_000 / Math.ceil(BODY.length / 8), 8)
      await client.closed
      expect(client.received()).toStartWith('HTTP/1.1 200')
      expect(JSON.parse(up.last.body)).toEqual(JSON.parse(BODY))
    } finally {
      await patient.stop()
    }
  }, 30_000)
})

describe('answers', () => {
  test('a stream answer silent for longer than the body timeout and Bun’s backstop timer still completes', async () => {
    // the body deadline is 1 s and Bun's backstop during the body read 3 s (cut within 3-7 s): 8 s of silence
    up.script = () => sse(openaiChatStream(3, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 }), { gapAfter: { 1: 8_000 } })
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    const text = await res.text()
    expect(text).toContain('tok2')
    expect(text).toContain('[DONE]')
  }, 30_000)
})

describe('connections', () => {
  test('idle and slow-head connections are closed: nothing sent, a head trickled 1 byte every 2 s, keep-alive after an answer, a second head trickled after one', async () => {
    up.script = () => chatJson()
    const eventsBefore = lectr.events().length
    const silent = await rawConnect(lectr.url)
    const slowHead = await rawConnect(lectr.url)
    void slowHead.trickle(chatHead({ 'content-length': 2 }) + '{}', 2000)
    // A proxied answer used to leave `server.timeout(req, 0)` on the connection: an idle keep-alive stayed for ever.
    const kept = await rawConnect(lectr.url, chatHead({ 'content-length': BODY.length }) + BODY)
    const second = await rawConnect(lectr.url, chatHead({ 'content-length': BODY.length }) + BODY)
    await eventually(() => kept.received().includes('"Hello!"') && second.received().includes('"Hello!"'))
    void second.trickle(chatHead({ 'content-length': 2 }) + '{}', 2000)
    const [silentMs, slowHeadMs, keptMs, secondMs] = await Promise.all([silent.closed, slowHead.closed, kept.closed, second.closed])
    expect(silent.received()).toBe('')
    expect(slowHead.received()).toBe('')
    expect(kept.received()).toStartWith('HTTP/1.1 200')
    expect(second.received().match(/HTTP\/1\.1 /g)!.length).toBe(1)
    // Bun's timers: 10 s, checked every 4 s
    for (const ms of [silentMs, slowHeadMs, keptMs, secondMs]) expect(ms).toBeLessThan(20_000)
    // only the two complete requests reached Lectr's handler
    expect(lectr.events().length).toBe(eventsBefore + 2)
  }, 30_000)
})
