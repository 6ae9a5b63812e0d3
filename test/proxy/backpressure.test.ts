import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { stalledRequest } from '../helpers/raw-client'
import { openaiAnswerOf } from '../helpers/json'

// A client that never reads must hold back the provider: Lectr pulls only what the sockets can hold, whatever the
// answer's size (issue 15: 20 such clients took Lectr from 76 MiB to 2.1 GiB of memory in 20 s).

const MiB = 1024 * 1024
const ANSWER_BYTES = 200 * MiB
/**
 * What may be pulled from upstream for a client that reads nothing: kernel socket buffers (on loopback, autotuned send
 * and receive buffers of both connections reach ~20 MiB; 19.7 MiB was seen under load) and a chunk or two, against
 * the 200 MiB answer a client without backpressure would make Lectr pull.
 */
const BOUND = 32 * MiB

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

/** How many bytes the upstream has handed out so far, for the answer being served. */
let pulled = 0

/**
 * A huge answer made as it is read (never held whole): `head`, then `piece` over and over up to `total` bytes, then
 * `tail`. Pull-based, so a byte is made only when the reader (Lectr's fetch) asks for it; `pulled` counts them.
 */
function hugeBody(head: string, piece: string, tail: string, total: number): { stream: ReadableStream<Uint8Array>; length: number } {
  const enc = new TextEncoder()
  const headBytes = enc.encode(head)
  const pieceBytes = enc.encode(piece)
  const tailBytes = enc.encode(tail)
  const pieces = Math.ceil((total - headBytes.length - tailBytes.length) / pieceBytes.length)
  let sent = -1
  pulled = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = sent === -1 ? headBytes : sent < pieces ? pieceBytes : sent === pieces ? tailBytes : null
        sent++
        if (!next) return controller.close()
        pulled += next.length
        // a copy, as a real socket read would be
        controller.enqueue(next.slice())
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, length: headBytes.length + pieces * pieceBytes.length + tailBytes.length }
}

const PIECE_CHARS = 64 * 1024

function sseAnswer(contentType = 'text/event-stream') {
  const delta = 'x'.repeat(PIECE_CHARS - 80)
  const piece = `data: {"id":"c","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"${delta}"}}]}\n\n`
  const tail =
    'data: {"id":"c","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3200,"total_tokens":3207}}\n\ndata: [DONE]\n\n'
  const { stream, length } = hugeBody('', piece, tail, ANSWER_BYTES)
  return { response: new Response(stream, { headers: { 'content-type': contentType } }), length }
}

function embeddingsAnswer(withLength: boolean) {
  const floats = Array.from({ length: 1536 }, (_, i) => (i % 7) / 10 - 0.3).join(',')
  const piece = `{"object":"embedding","index":0,"embedding":[${floats}]},`
  const head = '{"object":"list","data":['
  const tail = '{"object":"embedding","index":1,"embedding":[0.1]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}'
  const { stream, length } = hugeBody(head, piece, tail, ANSWER_BYTES)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (withLength) headers['content-length'] = String(length)
  return { response: new Response(stream, { headers }), length }
}

function fileAnswer() {
  const { stream, length } = hugeBody('', 'f'.repeat(PIECE_CHARS), 'THE-END', ANSWER_BYTES)
  return { response: new Response(stream, { headers: { 'content-type': 'application/octet-stream' } }), length }
}

const HEADERS = () => ({ 'x-lectr-key': lectr.orgKey, authorization: 'Bearer provider-key-123', 'content-type': 'application/json' })

/**
 * Sends the request from a client that reads nothing, checks that Lectr pulled a bounded amount from upstream, then
 * reads the whole answer and returns it with the request's one event.
 */
async function stallThenRead(method: string, path: string, body: string) {
  const before = lectr.events().length
  const client = stalledRequest(lectr.url, method, path, HEADERS(), body)
  try {
    await eventually(() => pulled > 0)
    await Bun.sleep(2000)
    expect(pulled).toBeGreaterThan(0)
    expect(pulled).toBeLessThan(BOUND)
    const answer = await client.readAll()
    const events = await eventually(() => {
      const all = lectr.events()
      return all.length > before && all
    })
    expect(events.length).toBe(before + 1)
    return { answer, event: events[events.length - 1] }
  } finally {
    client.close()
  }
}

describe('a client that reads nothing holds back the provider', () => {
  test('an SSE stream: bounded pull; read later, every byte arrives and the usage is recorded', async () => {
    let length = 0
    up.script = () => {
      const a = sseAnswer()
      length = a.length
      return a.response
    }
    const { answer, event } = await stallThenRead(
      'POST',
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [] }),
    )
    expect(answer.status).toBe(200)
    expect(answer.bodyBytes).toBe(length)
    expect(answer.tail.endsWith('data: [DONE]\n\n')).toBe(true)
    expect(event).toMatchObject({ status: 200, error_code: null, stream: 1, input_tokens: 7, output_tokens: 3200 })
  }, 60_000)

  test('a JSON answer without a Content-Length, beyond the 2 MiB cap, is piped from there on', async () => {
    let length = 0
    up.script = () => {
      const a = embeddingsAnswer(false)
      length = a.length
      return a.response
    }
    const { answer, event } = await stallThenRead('POST', '/v1/embeddings', JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }))
    expect(answer.status).toBe(200)
    expect(answer.bodyBytes).toBe(length)
    expect(answer.tail.endsWith('"usage":{"prompt_tokens":8,"total_tokens":8}}')).toBe(true)
    expect(event).toMatchObject({ status: 200, error_code: null, input_tokens: 8, output_tokens: 0, response_model: 'text-embedding-3-small' })
  }, 60_000)

  test('a JSON answer with a large Content-Length is piped, not read whole', async () => {
    let length = 0
    up.script = () => {
      const a = embeddingsAnswer(true)
      length = a.length
      return a.response
    }
    const { answer, event } = await stallThenRead('POST', '/v1/embeddings', JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }))
    expect(answer.status).toBe(200)
    expect(answer.bodyBytes).toBe(length)
    expect(event).toMatchObject({ status: 200, error_code: null, input_tokens: 8, response_model: 'text-embedding-3-small' })
  }, 60_000)

  test('a file download (application/octet-stream) is piped', async () => {
    let length = 0
    up.script = () => {
      const a = fileAnswer()
      length = a.length
      return a.response
    }
    const { answer, event } = await stallThenRead('GET', '/v1/files/file-abc/content', '')
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('application/octet-stream')
    expect(answer.bodyBytes).toBe(length)
    expect(answer.tail.endsWith('THE-END')).toBe(true)
    expect(event).toMatchObject({ status: 200, error_code: null, endpoint: 'other' })
  }, 60_000)
})

describe('whole JSON answers', () => {
  test('a JSON answer with a small Content-Length is still answered whole, with its Content-Length', async () => {
    up.script = () => Response.json({ object: 'list', data: [], model: 'text-embedding-3-small', usage: { prompt_tokens: 3, total_tokens: 3 } })
    const res = await lectr.post('embeddings', { model: 'text-embedding-3-small', input: 'x' })
    expect(res.headers.get('content-length')).not.toBeNull()
    expect(res.headers.get('transfer-encoding')).toBeNull()
    expect((await openaiAnswerOf(res, 'chat')).usage?.prompt_tokens).toBe(3)
    const event = await eventually(() => lectr.events().find((e) => e.input_tokens === 3))
    expect(event).toMatchObject({ status: 200, error_code: null })
  })

  test('a small JSON answer without a Content-Length (chunked) is also answered whole, with a Content-Length', async () => {
    const json = JSON.stringify({ object: 'list', data: [], model: 'text-embedding-3-small', usage: { prompt_tokens: 4, total_tokens: 4 } })
    up.script = () => {
      const bytes = new TextEncoder().encode(json)
      // three pieces, no length: the way a provider behind a CDN often answers
      const pieces = [bytes.subarray(0, 10), bytes.subarray(10, 30), bytes.subarray(30)]
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = pieces.shift()
          if (next) controller.enqueue(next.slice())
          else controller.close()
        },
      })
      return new Response(stream, { headers: { 'content-type': 'application/json' } })
    }
    const res = await lectr.post('embeddings', { model: 'text-embedding-3-small', input: 'y' })
    expect(res.headers.get('content-length')).toBe(String(json.length))
    expect(await res.text()).toBe(json)
    const event = await eventually(() => lectr.events().find((e) => e.input_tokens === 4))
    expect(event).toMatchObject({ status: 200, error_code: null, response_model: 'text-embedding-3-small' })
  })
})
