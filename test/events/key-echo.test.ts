/**
 * A provider that echoes the client's key back in what Lectr stores from its answers (`error.code`, `error.type`,
 * Google's `error.status`, the answer's `model`), as JSON and streamed, mid-stream errors included: the key reaches
 * neither the database (main file and WAL), nor the events API, nor the dashboard's event pages. A key-shaped
 * string that is not the client's is scrubbed too.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FakeUpstream, sse } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { Client } from '../dashboard/_client'
import { REDACTED, scrubKeys } from '../../src/proxy/scrub-keys'

/** Not shaped like any provider key, so only Lectr knowing it is the client's key can catch it. */
const CANARY = 'canary-own-key-Z9Q8X7W6V5U4T3S2R1'
/** Shaped like an Anthropic key, and not the client's. */
const OTHER_KEY = 'sk-ant-api03-Qw3rTy8UiOp1AsDfGhJkLzXcVbNm-Q1w2E3r4T5y6U7i8O9p0AA'
const pieces = (key: string) => Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8))
const PIECES = [...pieces(CANARY), ...pieces(OTHER_KEY)]

let up: FakeUpstream
let lectr: TestLectr

const traces = (where: string, text: string) => PIECES.filter((p) => text.includes(p)).map((p) => `${where}: ${p}`)
const chunk = (model: string, content: string) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content }, finish_reason: null }] })
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (req, rec) => {
    const key = req.headers.get('authorization')?.replace('Bearer ', '') ?? req.headers.get('api-key') ?? 'none'
    const body = JSON.parse(rec.body)
    const what: string = body.metadata?.echo
    const json = (payload: unknown, status = 200) => Response.json(payload, { status })
    switch (what) {
      case 'error.code':
        return json({ error: { message: 'bad key', type: 'invalid_request_error', code: key } }, 401)
      case 'error.type':
        return json({ error: { message: 'bad key', type: key, code: null } }, 401)
      case 'error.status':
        return json([{ error: { code: 400, message: 'bad key', status: key } }], 400)
      case 'model':
        return json({ id: 'x', object: 'chat.completion', model: key, choices: [], usage: USAGE })
      case 'model, cut at 200 characters':
        return json({ id: 'x', object: 'chat.completion', model: `${'m'.repeat(190)}${key}`, choices: [], usage: USAGE })
      case 'stream model':
        return sse([chunk(key, 'hi'), { ...chunk(key, ''), choices: [], usage: USAGE }, 'data: [DONE]\n\n'])
      case 'stream error.code':
        return sse([chunk('gpt-4o', 'hi'), { error: { message: 'revoked', type: 'server_error', code: key } }])
      case 'stream error.type':
        return sse([chunk('gpt-4o', 'hi'), { error: { message: 'revoked', type: key } }])
      case 'stream error.status':
        return sse([chunk('gpt-4o', 'hi'), { error: { code: 429, message: 'slow down', status: key } }])
      case 'stream error event':
        return sse([`event: error\ndata: ${JSON.stringify({ type: 'error', code: key, message: 'x', sequence_number: 1 })}\n\n`])
      case 'responses stream':
        return sse([
          `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { id: 'r', model: key, status: 'in_progress' } })}\n\n`,
          `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response: { id: 'r', model: key, status: 'failed', error: { code: key, message: 'x' } } })}\n\n`,
        ])
      case 'other key':
        return json({ error: { message: 'x', type: OTHER_KEY, code: `invalid:${OTHER_KEY}` } }, 401)
      case 'other key model':
        return json({ id: 'x', object: 'chat.completion', model: OTHER_KEY, choices: [], usage: USAGE })
      default:
        return json({ id: 'x', object: 'chat.completion', model: 'gpt-4o-2024-08-06', choices: [], usage: USAGE })
    }
  }
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr?.stop()
  up?.stop()
})

test('the canary is not key-shaped: only knowing the client key catches it', () => {
  expect(scrubKeys(CANARY, [])).toBe(CANARY)
  expect(scrubKeys(OTHER_KEY, [])).toBe(REDACTED)
})

test('keys echoed by the upstream reach neither the database, its WAL, the events API nor the event pages', async () => {
  const send = async (echo: string, opts: { stream?: boolean; path?: string; headers?: Record<string, string> } = {}) => {
    const body: Record<string, unknown> = { model: 'gpt-4o', metadata: { echo }, stream: opts.stream ?? false }
    if (opts.path === 'responses') body.input = 'hi'
    else body.messages = [{ role: 'user', content: 'hi' }]
    const res = await lectr.post(opts.path ?? 'chat/completions', body, { authorization: `Bearer ${CANARY}`, ...opts.headers })
    const text = await res.text()
    return { id: res.headers.get('x-lectr-request-id')!, status: res.status, text }
  }

  const sent = {
    code: await send('error.code'),
    type: await send('error.type'),
    status: await send('error.status'),
    model: await send('model'),
    cut: await send('model, cut at 200 characters'),
    streamModel: await send('stream model', { stream: true }),
    streamCode: await send('stream error.code', { stream: true }),
    streamType: await send('stream error.type', { stream: true }),
    streamStatus: await send('stream error.status', { stream: true }),
    streamEvent: await send('stream error event', { stream: true, path: 'responses' }),
    responses: await send('responses stream', { stream: true, path: 'responses' }),
    other: await send('other key'),
    otherModel: await send('other key model'),
  }
  // The client gets the upstream's answer as it was: Lectr only keeps the key out of what it stores.
  expect(sent.code.status).toBe(401)
  expect(sent.code.text).toContain(CANARY)
  expect(sent.streamCode.text).toContain(CANARY)

  // Azure: the key goes upstream in `api-key`, and is echoed from there.
  const put = await lectr.api('orgs/default/providers/azure', { method: 'PUT', body: JSON.stringify({ endpoint: up.origin, apiVersion: '2024-10-21' }) })
  expect(put.status).toBeLessThan(300)
  const azure = await send('error.code', { headers: { 'x-lectr-provider': 'azure' } })
  expect(up.last.headers.get('api-key')).toBe(CANARY)
  expect(azure.status).toBe(401)

  const events = lectr.events()
  expect(events.length).toBe(Object.keys(sent).length + 1)
  const byId = (id: string) => events.find((e) => e.id === id)
  // What was echoed is stored as the marker, and what was not echoed is kept.
  for (const s of [sent.code, sent.type, sent.status, sent.streamCode, sent.streamType, sent.streamStatus, sent.streamEvent, sent.responses, azure]) {
    expect(byId(s.id).error_code).toBe(REDACTED)
  }
  expect(byId(sent.other.id).error_code).toBe(`invalid:${REDACTED}`)
  for (const s of [sent.model, sent.streamModel, sent.responses, sent.otherModel]) expect(byId(s.id).response_model).toBe(REDACTED)
  expect(byId(sent.cut.id).response_model).toBe(`${'m'.repeat(190)}${REDACTED}`)
  expect(byId(sent.streamCode.id).response_model).toBe('gpt-4o')
  // the answer's tokens are still metered, only the label was scrubbed
  expect(byId(sent.model.id)).toMatchObject({ input_tokens: 3, output_tokens: 2 })

  expect(traces('events table', JSON.stringify(events))).toEqual([])
  const api = await (await lectr.api('orgs/default/events?limit=1000')).text()
  expect(api).toContain(REDACTED)
  expect(traces('events API', api)).toEqual([])

  const client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
  const list = await client.page('/events')
  expect(list.res.status).toBe(200)
  expect(traces('events page', list.html)).toEqual([])
  for (const e of events) {
    const detail = await client.page(`/events/${e.id}`)
    expect(detail.res.status).toBe(200)
    expect(traces(`event page ${e.id}`, detail.html)).toEqual([])
  }

  const files = readdirSync(lectr.dir)
  expect(files).toContain('lectr.db-wal')
  for (const name of files) expect(traces(name, readFileSync(join(lectr.dir, name)).toString('latin1'))).toEqual([])
  // the search itself works: the key is plainly in what the client received
  expect(traces('client', sent.model.text).length).toBeGreaterThan(0)
})
