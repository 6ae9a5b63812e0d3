import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import http2 from 'node:http2'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Server } from 'bun'
import { openaiChatStream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { startChild, type Child } from '../../bench/lib/proc'
import { createHttp2Origins, http2Refused, originOf } from '../../src/proxy/http2-origins'

// LECTR_UPSTREAM_HTTP2: https upstreams are asked for HTTP/2 and fall back to HTTP/1.1 when they do not offer it.
// The fake providers here are real TLS servers on 127.0.0.1 (a test certificate for that address, trusted through
// the fetch seam, which adds it as `ca` and records what Lectr asked for): one speaks HTTP/2 only, two HTTP/1.1 only.
// Of those two, Bun's ignores ALPN (fetch then fails with HTTP2Unsupported); the other is Node's own https server,
// run by `node` in a child process because only it answers an h2-only ALPN offer with a `no_application_protocol`
// alert (fetch then fails the handshake), as Node and Go servers in the wild do.

const FIXTURES = join(import.meta.dir, 'fixtures')
const CERT = readFileSync(join(FIXTURES, 'loopback-test.pem'), 'utf8')
const KEY = readFileSync(join(FIXTURES, 'loopback-test.key'), 'utf8')
const USAGE = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 }
const ANSWER = JSON.stringify({
  id: 'chatcmpl-h2', object: 'chat.completion', created: 1, model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello over h2' }, finish_reason: 'stop' }], usage: USAGE,
})

type Mode = 'whole' | 'stream' | 'stall' | 'quiet'
/** how long the `quiet` stream says nothing after its first chunk: longer than Bun's 10 s idle timeouts */
const QUIET_MS = 11_000
/** An HTTP/2-only provider (no HTTP/1.1 fallback on its side), scripted by `mode`. */
class Http2Fake {
  mode: Mode = 'whole'
  /** one entry per request; the server speaks nothing but HTTP/2 (`allowHTTP1: false`) */
  readonly versions: string[] = []
  /** streams the client reset (RST_STREAM) before the answer was complete */
  cancelled = 0
  /** the RST_STREAM codes those streams closed with */
  readonly resetCodes: number[] = []
  private server = http2.createSecureServer({ key: KEY, cert: CERT, allowHTTP1: false })
  port = 0

  constructor() {
    this.server.on('stream', (stream: http2.ServerHttp2Stream) => {
      this.versions.push('2.0')
      stream.on('aborted', () => {
        this.cancelled++
        stream.once('close', () => this.resetCodes.push(stream.rstCode))
      })
      stream.on('error', () => {})
      stream.resume()
      stream.on('end', () => {
        if (this.mode === 'stall') return
        if (this.mode === 'quiet') {
          stream.respond({ ':status': 200, 'content-type': 'text/event-stream' })
          const [first, ...rest] = [...openaiChatStream(2, USAGE).map((e) => `data: ${JSON.stringify(e)}\n\n`), 'data: [DONE]\n\n']
          stream.write(first)
          setTimeout(() => {
            if (!stream.destroyed) stream.end(rest.join(''))
          }, QUIET_MS)
          return
        }
        if (this.mode === 'whole') {
          stream.respond({ ':status': 200, 'content-type': 'application/json' })
          stream.end(ANSWER)
          return
        }
        stream.respond({ ':status': 200, 'content-type': 'text/event-stream' })
        const events = openaiChatStream(3, USAGE).map((e) => `data: ${JSON.stringify(e)}\n\n`)
        events.push('data: [DONE]\n\n')
        // a long stream, so that a client can leave in the middle
        const mid = events.splice(3)
        for (let i = 0; i < 200; i++) events.push(': keep-alive\n\n')
        events.push(...mid)
        let i = 0
        const next = () => {
          if (stream.closed || stream.destroyed) return
          if (i === events.length) return void stream.end()
          stream.write(events[i++])
          setTimeout(next, 2)
        }
        next()
      })
    })
  }
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()))
    this.port = (this.server.address() as { port: number }).port
  }
  stop() {
    this.server.close()
  }
}

let h2: Http2Fake
let h1: Server<unknown>
let h1Versions: string[] = []
let nodeH1: Child
let lectr: TestLectr
let lectrOff: TestLectr

/** Node's https server with ALPN `http/1.1` only; prints its port, then one line per request. */
const NODE_H1 = `
const https = require('node:https'), fs = require('node:fs')
const s = https.createServer({ key: fs.readFileSync(process.env.KEY), cert: fs.readFileSync(process.env.CERT), ALPNProtocols: ['http/1.1'] }, (req, res) => {
  req.resume(); req.on('end', () => { console.log('request ' + req.httpVersion); res.writeHead(200, { 'content-type': 'application/json' }); res.end(process.env.ANSWER) })
})
s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port))
`

/** Requests the Node server has answered so far. */
const nodeRequests = () => nodeH1.output().match(/^request /gm)?.length ?? 0
const asked: { url: string; protocol: string | undefined }[] = []

/** The real fetch, trusting the test certificate; records the protocol Lectr asked for. */
const trustingFetch = ((url: string, init: RequestInit & { protocol?: string; tls?: object }) => {
  asked.push({ url: String(url), protocol: init.protocol })
  return fetch(url, { ...init, tls: { ...init.tls, ca: CERT } } as RequestInit)
}) as typeof fetch

beforeAll(async () => {
  h2 = new Http2Fake()
  await h2.start()
  h1 = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls: { cert: CERT, key: KEY },
    async fetch(req) {
      await req.text()
      h1Versions.push('1.1')
      return new Response(ANSWER, { headers: { 'content-type': 'application/json' } })
    },
  })
  nodeH1 = await startChild({
    name: 'node https',
    cmd: ['node', '-e', NODE_H1],
    env: { KEY: join(FIXTURES, 'loopback-test.key'), CERT: join(FIXTURES, 'loopback-test.pem'), ANSWER },
    ready: /port (\d+)/,
  })
  const env = {
    LECTR_OPENAI_BASE_URL: `https://127.0.0.1:${h2.port}/v1`,
    LECTR_GROQ_BASE_URL: `https://127.0.0.1:${h1.port}/openai/v1`,
    LECTR_GEMINI_BASE_URL: `https://127.0.0.1:${nodeH1.port}/v1beta/openai`,
  }
  lectr = await startLectr(null, { upstreamTimeoutMs: 1500 }, { ...env, LECTR_UPSTREAM_HTTP2: '1' }, trustingFetch)
  lectrOff = await startLectr(null, {}, env, trustingFetch)
})
afterAll(async () => {
  await lectr.stop()
  await lectrOff.stop()
  h2.stop()
  h1.stop(true)
  await nodeH1.stop()
})

const chat = (l: TestLectr, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  l.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...body }, headers)

describe('LECTR_UPSTREAM_HTTP2=1', () => {
  test('a whole answer comes over HTTP/2, and is metered', async () => {
    h2.mode = 'whole'
    asked.length = 0
    const res = await chat(lectr, {})
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'Hello over h2' } }] })
    expect(h2.versions.at(-1)).toBe('2.0')
    expect(asked.at(-1)!.protocol).toBe('h2')
    const e = await eventually(() => lectr.events().find((x) => x.id === res.headers.get('x-lectr-request-id')))
    expect(e).toMatchObject({ status: 200, input_tokens: 11, output_tokens: 3, error_code: null })
  })

  test('a stream comes over HTTP/2 chunk by chunk, with its usage', async () => {
    h2.mode = 'stream'
    const res = await chat(lectr, { stream: true })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('tok2')
    expect(text).toContain('[DONE]')
    // the client did not ask for usage: Lectr asked, and took the usage chunk out again
    expect(text).not.toContain('"usage"')
    expect(h2.versions.at(-1)).toBe('2.0')
    const e = await eventually(() => lectr.events().find((x) => x.id === res.headers.get('x-lectr-request-id')))
    expect(e).toMatchObject({ status: 200, stream: 1, input_tokens: 11, output_tokens: 3 })
  })

  test('a client that leaves mid-stream cancels the HTTP/2 stream upstream', async () => {
    h2.mode = 'stream'
    const before = h2.cancelled
    const leave = new AbortController()
    const res = await fetch(`${lectr.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer provider-key-123', 'x-lectr-key': lectr.orgKey },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }),
      signal: leave.signal,
    })
    const reader = res.body!.getReader()
    await reader.read()
    leave.abort()
    await eventually(() => h2.cancelled > before)
    // reset with CANCEL, the stream alone (NGHTTP2_CANCEL = 8), not the connection torn down
    await eventually(() => h2.resetCodes.length > 0)
    expect(h2.resetCodes.at(-1)).toBe(http2.constants.NGHTTP2_CANCEL)
    const e = await eventually(() => lectr.events().find((x) => x.id === res.headers.get('x-lectr-request-id')))
    expect(e).toMatchObject({ status: 499, error_code: 'lectr_client_gone' })
  })

  test('a stream that goes quiet for longer than 10 s after its first chunk is not cut', async () => {
    h2.mode = 'quiet'
    const started = Date.now()
    const res = await chat(lectr, { stream: true })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(Date.now() - started).toBeGreaterThanOrEqual(QUIET_MS)
    expect(text).toContain('tok1')
    expect(text).toContain('[DONE]')
    const e = await eventually(() => lectr.events().find((x) => x.id === res.headers.get('x-lectr-request-id')))
    expect(e).toMatchObject({ status: 200, error_code: null, output_tokens: 3 })
    h2.mode = 'whole'
  })

  test('no first byte in time: 504, and the HTTP/2 stream is cancelled', async () => {
    h2.mode = 'stall'
    const before = h2.cancelled
    const res = await chat(lectr, {})
    expect(res.status).toBe(504)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('lectr_upstream_timeout')
    await eventually(() => h2.cancelled > before)
    h2.mode = 'whole'
  })

  test('an upstream without HTTP/2 is sent HTTP/1.1 after its first refusal, and answers every time', async () => {
    h1Versions = []
    asked.length = 0
    for (let i = 0; i < 3; i++) {
      const res = await chat(lectr, { model: 'llama-3.3-70b-versatile' })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'Hello over h2' } }] })
    }
    expect(h1Versions).toEqual(['1.1', '1.1', '1.1'])
    // the first request was offered h2, refused at the handshake, and sent again as HTTP/1.1; the others went straight
    expect(asked.map((a) => a.protocol)).toEqual(['h2', 'http1.1', 'http1.1', 'http1.1'])
    const events = lectr.events().slice(-3)
    expect(events.map((e) => e.status)).toEqual([200, 200, 200])
    expect(events.map((e) => e.provider)).toEqual(['groq', 'groq', 'groq'])
  })

  test('an upstream whose TLS handshake refuses an h2-only offer (Node, Go) is sent HTTP/1.1 too', async () => {
    asked.length = 0
    const before = nodeRequests()
    for (let i = 0; i < 2; i++) {
      const res = await chat(lectr, { model: 'gemini-2.0-flash' })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'Hello over h2' } }] })
    }
    expect(asked.map((a) => a.protocol)).toEqual(['h2', 'http1.1', 'http1.1'])
    // the refused handshake carried no request: the server saw exactly the two that were answered
    await eventually(() => nodeRequests() - before === 2)
  })
})

describe('LECTR_UPSTREAM_HTTP2 off (the default)', () => {
  test('no protocol is asked for: HTTP/1.1, which an HTTP/2-only upstream refuses', async () => {
    asked.length = 0
    h1Versions = []
    expect((await chat(lectrOff, { model: 'llama-3.3-70b-versatile' })).status).toBe(200)
    expect(asked.at(-1)!.protocol).toBeUndefined()
    const res = await chat(lectrOff, {})
    expect(res.status).toBe(502)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('lectr_upstream_unreachable')
  })
})

describe('createHttp2Origins', () => {
  test('https is offered h2 until its origin refuses; then HTTP/1.1 for an hour; plain http never', () => {
    let now = 0
    const origins = createHttp2Origins(() => now)
    expect(origins.protocolFor('http://127.0.0.1:8000/v1/chat/completions')).toBeUndefined()
    expect(origins.protocolFor('https://api.openai.com/v1/chat/completions')).toBe('h2')
    origins.refused('https://llm.internal:8443/v1/chat/completions')
    expect(origins.protocolFor('https://llm.internal:8443/v1/embeddings')).toBe('http1.1')
    expect(origins.protocolFor('https://llm.internal:9443/v1/embeddings')).toBe('h2')
    expect(origins.protocolFor('https://api.openai.com/v1/chat/completions')).toBe('h2')
    now += 60 * 60 * 1000
    expect(origins.protocolFor('https://llm.internal:8443/v1/embeddings')).toBe('h2')
  })

  test('at most 1024 refusing origins are remembered, the oldest forgotten first', () => {
    const origins = createHttp2Origins(() => 0)
    for (let i = 0; i < 1025; i++) origins.refused(`https://host-${i}.internal/v1`)
    expect(origins.protocolFor('https://host-0.internal/v1/x')).toBe('h2')
    expect(origins.protocolFor('https://host-1.internal/v1/x')).toBe('http1.1')
    expect(origins.protocolFor('https://host-1024.internal/v1/x')).toBe('http1.1')
  })

  test('http2Refused: no h2 selected, or a handshake ended; never a certificate or connection error', async () => {
    expect(http2Refused(await fetch('http://127.0.0.1:9/', { protocol: 'h2' } as RequestInit).catch((e) => e))).toBe(true)
    expect(http2Refused(Object.assign(new Error('The TLS handshake failed'), { code: 'EPROTO' }))).toBe(true)
    expect(http2Refused(Object.assign(new Error('self signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toBe(false)
    expect(http2Refused(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false)
    expect(http2Refused(null)).toBe(false)
  })

  test('an origin is the scheme, host and port; a TLS server name stands for it when there is one', () => {
    expect(originOf('https://api.openai.com/v1/chat/completions')).toBe('https://api.openai.com')
    expect(originOf('https://host:8443/v1?x=1')).toBe('https://host:8443')
    expect(originOf('https://host?x=1')).toBe('https://host')
    expect(originOf('https://host')).toBe('https://host')
    expect(originOf('https://[::1]:8443/x')).toBe('https://[::1]:8443')
    // two Azure resources pinned to the same address are told apart by name
    const origins = createHttp2Origins(() => 0)
    origins.refused('https://20.1.2.3/openai/v1/chat/completions', 'a.openai.azure.com')
    expect(origins.protocolFor('https://20.1.2.3/openai/v1/chat/completions', 'a.openai.azure.com')).toBe('http1.1')
    expect(origins.protocolFor('https://20.1.2.3/openai/v1/chat/completions', 'b.openai.azure.com')).toBe('h2')
  })
})
