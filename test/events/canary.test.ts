/**
 * Provider keys are never persisted nor printed: a canary key goes through every path, success and failure, into
 * the compiled binary; then the database, its WAL and shared-memory files, every other file Lectr wrote, and
 * everything it printed are searched for the key and for every 8-character piece of it.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream, chatJson, openaiChatStream, sse } from '../helpers/fake-upstream'
import { lectrBinary, spawnLectr, type LectrProcess } from '../crash/binary'
import { answerOf } from '../helpers/json'

const CANARY = 'sk-canary-Z9Q8X7W6V5U4T3S2R1'
const PIECES = Array.from({ length: CANARY.length - 7 }, (_, i) => CANARY.slice(i, i + 8))
const ADMIN = 'canary-admin-token-0123456789'

let up: FakeUpstream
let bin: string
let lectr: LectrProcess
let dir: string
let deadPort: number

const enc = new TextEncoder()

beforeAll(async () => {
  bin = await lectrBinary()
  up = new FakeUpstream()
  // The fake provider sees the key and echoes it back everywhere it can: Lectr passes its answers on, never keeps them.
  up.script = async (req, rec) => {
    const key = req.headers.get('authorization')?.replace('Bearer ', '') ?? req.headers.get('api-key') ?? 'none'
    const body = rec.body ? JSON.parse(rec.body) : {}
    const echo = { 'x-echo-key': key, 'set-cookie': `k=${key}` }
    switch (body.model) {
      case 'gpt-4o-error':
        return Response.json(
          { error: { message: `Incorrect API key provided: ${key}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
          { status: 401, headers: echo },
        )
      // echoed where Lectr reads what it stores (error code, model), not only in the message
      case 'gpt-4o-echo-code':
        return Response.json({ error: { message: 'no', type: key, status: key, code: key } }, { status: 401, headers: echo })
      case 'gpt-4o-echo-model':
        return Response.json({ id: 'x', object: 'chat.completion', model: key, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }, { headers: echo })
      case 'gpt-4o-echo-stream':
        return sse([...openaiChatStream(2, null, key).slice(0, 2), { error: { message: 'no', type: key, code: key } }], { headers: echo })
      case 'gpt-4o-slow':
        await Bun.sleep(1500)
        return chatJson()
      case 'gpt-4o-midstream-error':
        return sse([...openaiChatStream(2, null).slice(0, 2), { error: { message: `key ${key} was revoked`, type: 'server_error', code: 'server_error' } }], { headers: echo })
      case 'gpt-4o-hang':
      case 'gpt-4o-break': {
        const breaks = body.model === 'gpt-4o-break'
        const stream = new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(enc.encode(`data: ${JSON.stringify({ id: key, object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: key } }] })}\n\n`))
            await Bun.sleep(breaks ? 30 : 5000)
            if (breaks) c.error(new Error('the fake provider broke the stream'))
          },
        })
        return new Response(stream, { headers: { 'content-type': 'text/event-stream', ...echo } })
      }
      default:
        if (body.stream) return sse(openaiChatStream(3, body.stream_options?.include_usage ? { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 } : null), { headers: echo })
        return new Response(JSON.stringify({ id: 'x', object: 'chat.completion', model: body.model ?? 'gpt-4o', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }), {
          headers: { 'content-type': 'application/json', ...echo },
        })
    }
  }
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  deadPort = probe.port!
  probe.stop(true)
  dir = mkdtempSync(join(tmpdir(), 'lectr-ck-'))
  lectr = await spawnLectr(
    bin,
    {
      LECTR_DB: join(dir, 'lectr.db'),
      LECTR_ADMIN_TOKEN: ADMIN,
      LECTR_OPENAI_BASE_URL: up.baseUrl,
      LECTR_ANTHROPIC_BASE_URL: up.baseUrl,
      LECTR_GROQ_BASE_URL: up.baseUrl,
      LECTR_GEMINI_BASE_URL: `http://127.0.0.1:${deadPort}/v1beta/openai`,
      LECTR_ALLOW_PRIVATE_UPSTREAMS: '1',
      LECTR_UPSTREAM_TIMEOUT_MS: '300',
      LECTR_MAX_BODY_BYTES: '4096',
    },
    dir,
  )
})
afterAll(() => {
  if (lectr && lectr.proc.exitCode === null) lectr.proc.kill('SIGKILL')
  up?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Every place the key (or a piece of it) shows up in `text`. */
function traces(where: string, text: string): string[] {
  return PIECES.filter((p) => text.includes(p)).map((p) => `${where}: ${p}`)
}

function filesTraces(): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir)) found.push(...traces(name, readFileSync(join(dir, name)).toString('latin1')))
  return found
}

test('a canary provider key through every path leaves no trace in the database, its WAL, or the output', async () => {
  const orgKey = lectr.orgKey!
  const v1 = (path: string, init: { body?: RequestInit['body']; headers?: Record<string, string>; signal?: AbortSignal; method?: string } = {}) =>
    fetch(`${lectr.url}/v1/${path}`, {
      method: init.method ?? 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CANARY}`, 'x-lectr-key': orgKey, ...init.headers },
      body: init.body,
      signal: init.signal,
    })
  const chat = (model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    v1('chat/completions', { body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }), headers })
  /** sends and reads the whole answer, whatever it is */
  const drain = async (p: Promise<Response>) => {
    const res = await p
    await res.arrayBuffer().catch(() => {})
    return res
  }
  const statuses: Record<string, number> = {}
  let expectedEvents = 0
  const run = async (name: string, p: Promise<Response>, event = true) => {
    statuses[name] = (await drain(p)).status
    if (event) expectedEvents++
  }

  // success, streamed and not, on several providers
  await run('success', chat('gpt-4o'))
  await run('stream', chat('gpt-4o', { stream: true }))
  await run('stream asked', chat('gpt-4o', { stream: true, stream_options: { include_usage: true } }))
  await run('anthropic', chat('claude-sonnet-4-5-20250929'))
  await run('groq', chat('llama-3.1-8b-instant', { stream: true }))
  await run('responses', v1('responses', { body: JSON.stringify({ model: 'gpt-4.1', input: 'hi' }) }))
  await run('embeddings', v1('embeddings', { body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hi' }) }))
  await run('passthrough', v1('files', { method: 'GET' }))
  // failures upstream
  await run('upstream error', chat('gpt-4o-error'))
  await run('unreachable', chat('gemini-2.5-flash'))
  await run('timeout', chat('gpt-4o-slow'))
  await run('mid-stream error', chat('gpt-4o-midstream-error', { stream: true }))
  await run('upstream broken', chat('gpt-4o-break', { stream: true }))
  await run('key echoed in error code', chat('gpt-4o-echo-code'))
  await run('key echoed as model', chat('gpt-4o-echo-model'))
  await run('key echoed in a stream', chat('gpt-4o-echo-stream', { stream: true }))
  // refused by Lectr
  await run('invalid provider header', chat('gpt-4o', {}, { 'x-lectr-provider': 'openia' }))
  await run('key as provider header', chat('gpt-4o', {}, { 'x-lectr-provider': CANARY }))
  await run('key as task header', chat('gpt-4o', {}, { 'x-lectr-task': CANARY }))
  await run('malformed JSON', v1('chat/completions', { body: `{"model":"gpt-4o","api_key":"${CANARY}",` }))
  await run('too large', v1('chat/completions', { body: JSON.stringify({ model: 'gpt-4o', api_key: CANARY, pad: 'x'.repeat(8000) }) }))
  await run('azure not configured', chat('prod-4o', {}, { 'x-lectr-provider': 'azure' }))
  // no event for these, and no trace either
  await run('key as org key', chat('gpt-4o', {}, { 'x-lectr-key': CANARY }), false)
  await run('models list', v1('models', { method: 'GET' }), false)
  await run('key as admin token', fetch(`${lectr.url}/api/orgs`, { headers: { authorization: `Bearer ${CANARY}` } }), false)

  // client gone: before the first byte, and mid-stream
  {
    const ac = new AbortController()
    const p = v1('chat/completions', { body: JSON.stringify({ model: 'gpt-4o-slow', messages: [] }), signal: ac.signal }).catch(() => null)
    await Bun.sleep(100)
    ac.abort()
    await p
    expectedEvents++
    const ac2 = new AbortController()
    const res = await v1('chat/completions', { body: JSON.stringify({ model: 'gpt-4o-hang', stream: true, messages: [] }), signal: ac2.signal })
    const reader = res.body!.getReader()
    await reader.read()
    ac2.abort()
    await reader.cancel().catch(() => {})
    expectedEvents++
  }

  // Azure: configured through the admin API, the key goes in api-key
  const put = await fetch(`${lectr.url}/api/orgs/default/providers/azure`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ endpoint: up.origin, apiVersion: '2024-10-21' }),
  })
  expect(put.status).toBeLessThan(300)
  await run('azure', chat('prod-4o', {}, { 'x-lectr-provider': 'azure' }))
  expect(up.last.headers.get('api-key')).toBe(CANARY)
  await run('azure stream', chat('prod-4o', { stream: true }, { 'x-lectr-provider': 'azure' }))
  await run('azure error', chat('gpt-4o-error', {}, { 'x-lectr-provider': 'azure' }))

  expect(statuses).toMatchObject({
    success: 200, stream: 200, 'upstream error': 401, unreachable: 502, timeout: 504, 'invalid provider header': 400,
    'key as provider header': 400, 'malformed JSON': 400, 'too large': 413, 'azure not configured': 400,
    'key as org key': 401, 'key as admin token': 401, azure: 200, 'azure error': 401,
  })
  // the provider did get the key every time it was called
  expect(up.received.every((r) => r.headers.get('authorization') === `Bearer ${CANARY}` || r.headers.get('api-key') === CANARY)).toBe(true)

  // every event is in (the events route flushes the writer; a client that left is noticed within 100 ms); all of
  // them searched while Lectr runs, WAL and all
  const listEvents = async () => answerOf(await fetch(`${lectr.url}/api/orgs/default/events?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } }), 'events')
  let events = await listEvents()
  for (let i = 0; i < 50 && events.events.length < expectedEvents; i++) {
    await Bun.sleep(20)
    events = await listEvents()
  }
  await Bun.sleep(200)
  expect(events.events.length).toBe(expectedEvents)
  expect(traces('events API', JSON.stringify(events))).toEqual([])
  const names = readdirSync(dir)
  expect(names).toContain('lectr.db-wal')
  expect(names).toContain('lectr.db-shm')
  expect(filesTraces()).toEqual([])
  expect(traces('stdout', lectr.stdout())).toEqual([])
  expect(traces('stderr', lectr.stderr())).toEqual([])

  // and after a clean stop (the WAL checkpointed into the database)
  lectr.proc.kill('SIGTERM')
  expect(await lectr.exited).toBe(0)
  expect(filesTraces()).toEqual([])
  expect(traces('stdout', lectr.stdout())).toEqual([])
  expect(traces('stderr', lectr.stderr())).toEqual([])
  // the search itself works: the key is plainly in what the provider received
  expect(traces('fake', JSON.stringify([...up.last.headers])).length).toBeGreaterThan(0)
}, 20_000)

// KNOWN BUG (src/proxy/metered-body.ts, the catch in `pull`): when the upstream connection breaks mid-stream, the
// fetch error is passed to `controller.error(err)` as it is, and Bun prints it to stderr with its `path`: the full
// upstream URL, query string included. A key sent in the URL (Gemini's native `?key=`, any passthrough path) is
// printed. Fix: `controller.error(new Error('the upstream stream broke'))`. Remove `.failing` once fixed.
test('a key in the query string is not printed when the upstream breaks mid-stream', async () => {
  const d = mkdtempSync(join(tmpdir(), 'lectr-ck-'))
  const p = await spawnLectr(bin, { LECTR_DB: join(d, 'lectr.db'), LECTR_ADMIN_TOKEN: ADMIN, LECTR_OPENAI_BASE_URL: up.baseUrl }, d)
  try {
    const res = await fetch(`${p.url}/v1/chat/completions?key=${CANARY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lectr-key': p.orgKey! },
      body: JSON.stringify({ model: 'gpt-4o-break', stream: true, messages: [] }),
    })
    await res.arrayBuffer().catch(() => {})
    p.proc.kill('SIGTERM')
    expect(await p.exited).toBe(0)
    expect(traces('stdout', p.stdout())).toEqual([])
    expect(traces('stderr', p.stderr())).toEqual([])
  } finally {
    if (p.proc.exitCode === null) p.proc.kill('SIGKILL')
    rmSync(d, { recursive: true, force: true })
  }
})
