/**
 * The compiled binary under load from concurrent clients: SIGTERM mid-load exits 0 with exactly one event per
 * answered request; a restart on the same database keeps counting; SIGKILL mid-load leaves a consistent database
 * that still holds every event written before the kill.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream, chatJson, openaiChatStream, sse } from '../helpers/fake-upstream'
import { lectrBinary, spawnLectr, type LectrProcess } from './binary'
import { answerOf } from '../helpers/json'

const ADMIN = 'crash-test-admin-token-0123456789'
let bin: string
let up: FakeUpstream
let dir: string
let dbPath: string
/** how many `gpt-4o-slow` answers the fake provider has had ready (each after 3 s) */
let slowAnswered = 0

beforeAll(async () => {
  bin = await lectrBinary()
  up = new FakeUpstream()
  up.script = async (_req, rec) => {
    const body = JSON.parse(rec.body)
    if (body.model === 'gpt-4o-slow') {
      await Bun.sleep(3000)
      slowAnswered++
      return chatJson()
    }
    if (body.model === 'gpt-4o-long') return sse(openaiChatStream(100, null), { delayMs: 50 })
    if (body.stream) {
      const asked = body.stream_options?.include_usage === true
      return sse(openaiChatStream(8, asked ? { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 } : null, 'gpt-4o-mini-2024-07-18'), { delayMs: 15 })
    }
    await Bun.sleep(Math.random() * 20)
    return chatJson({ model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })
  }
  dir = mkdtempSync(join(tmpdir(), 'lectr-crash-'))
  dbPath = join(dir, 'lectr.db')
})
afterAll(() => {
  up?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function start(env: Record<string, string> = {}): Promise<LectrProcess> {
  return spawnLectr(bin, {
    LECTR_DB: dbPath,
    LECTR_ADMIN_TOKEN: ADMIN,
    LECTR_OPENAI_BASE_URL: up.baseUrl,
    LECTR_DRAIN_SECONDS: '10',
    ...env,
  })
}

interface Outcome {
  /** the event id Lectr answered with; null when no answer came (refused connection) */
  id: string | null
  status: number | null
  goodKey: boolean
  /** when the whole answer had arrived (performance.now()) */
  doneAt: number | null
}

/**
 * `loops` concurrent clients sending requests until `stop()`: some streamed, some leaving mid-stream,
 * one in ten with a wrong org key.
 */
function load(url: string, orgKey: string, loops = 20) {
  const outcomes: Outcome[] = []
  let stopped = false
  const one = async (i: number) => {
    const r = Math.random()
    const goodKey = r > 0.1
    const stream = r > 0.6
    const leave = stream && r > 0.95
    const ac = new AbortController()
    const o: Outcome = { id: null, status: null, goodKey, doneAt: null }
    outcomes.push(o)
    try {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-load', 'x-lectr-key': goodKey ? orgKey : 'lectr_not-a-key' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: `hi ${i}` }] }),
        signal: ac.signal,
      })
      o.id = res.headers.get('x-lectr-request-id')
      o.status = res.status
      if (leave) {
        const reader = res.body!.getReader()
        await reader.read()
        ac.abort()
        await reader.cancel().catch(() => {})
        o.status = 499
      } else {
        await res.arrayBuffer()
      }
      o.doneAt = performance.now()
    } catch {
      // refused or cut: o.doneAt stays null
      await Bun.sleep(5)
    }
  }
  const loop = async () => {
    let i = 0
    while (!stopped) {
      await one(i++)
      if (i % 7 === 0) await Bun.sleep(1)
    }
  }
  const running = Promise.all(Array.from({ length: loops }, loop))
  return {
    outcomes,
    async stop() {
      stopped = true
      await running
    },
  }
}

function readEvents(): Map<string, { status: number; error_code: string | null }> {
  const db = new Database(dbPath, { readonly: true })
  try {
    const rows = db.query('SELECT id, status, error_code FROM events').all() as { id: string; status: number; error_code: string | null }[]
    return new Map(rows.map((r) => [r.id, r]))
  } finally {
    db.close()
  }
}

/** Every answered request that passed the org-key check has exactly one event with its status, and nothing else has one. */
function expectOneEventPerAnswer(all: Outcome[]) {
  const events = readEvents()
  const answered = all.filter((o) => o.goodKey && o.id)
  const ids = new Set(answered.map((o) => o.id!))
  expect(ids.size).toBe(answered.length)
  const missing = answered.filter((o) => !events.has(o.id!))
  expect(missing).toEqual([])
  for (const o of answered) {
    if (o.doneAt !== null) expect(events.get(o.id!)!.status).toBe(o.status!)
  }
  // no event without an answer: the count of events is the count of answered requests
  expect(events.size).toBe(answered.length)
  // a wrong org key never got an event id
  expect(all.filter((o) => !o.goodKey && o.id).length).toBe(0)
  return events
}

test('SIGTERM under load, restart, SIGTERM again: exit 0 and exactly one event per answered request', async () => {
  const a = await start()
  const orgKey = a.orgKey!
  expect(orgKey).toBeTruthy()
  const all: Outcome[] = []

  let l = load(a.url, orgKey)
  await Bun.sleep(1200)
  a.proc.kill('SIGTERM')
  const killedAt = performance.now()
  const codeA = await a.exited
  await l.stop()
  all.push(...l.outcomes)
  expect(codeA).toBe(0)
  // requests in flight at the SIGTERM were let finish (drain) and got their answers
  expect(all.filter((o) => o.doneAt !== null && o.doneAt > killedAt).length).toBeGreaterThan(0)
  expect(a.stdout()).toContain('SIGTERM')
  const answeredA = all.filter((o) => o.goodKey && o.id).length
  expect(answeredA).toBeGreaterThan(100)
  expect(all.some((o) => o.status === 499)).toBe(true)
  expect(all.some((o) => o.status === 401)).toBe(true)
  expectOneEventPerAnswer(all)

  // restart on the same database: the org key still works, counting goes on
  const b = await start()
  expect(b.orgKey).toBeNull()
  l = load(b.url, orgKey)
  await Bun.sleep(800)
  b.proc.kill('SIGTERM')
  const codeB = await b.exited
  await l.stop()
  all.push(...l.outcomes)
  expect(codeB).toBe(0)
  const events = expectOneEventPerAnswer(all)
  expect(events.size).toBeGreaterThan(answeredA)
  expect(b.stderr()).not.toContain('write failed')
}, 20_000)

test('SIGKILL under load: after restart the database is consistent and holds every event written before the kill', async () => {
  const c = await start()
  // the default org's key is printed only on the first start: add a key through the admin API
  const keyRes = await fetch(`${c.url}/api/orgs/default/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'crash' }),
  })
  expect(keyRes.status).toBe(201)
  const key = (await answerOf(keyRes, 'createdKey')).key
  const earlier = readEvents()

  const l = load(c.url, key)
  await Bun.sleep(800)
  // what is committed now must survive the kill
  const snapshot = readEvents()
  const snapAt = performance.now()
  await Bun.sleep(200)
  c.proc.kill('SIGKILL')
  await c.exited
  await l.stop()
  expect(c.proc.signalCode).toBe('SIGKILL')
  expect(snapshot.size).toBeGreaterThan(earlier.size)

  const db = new Database(dbPath)
  expect((db.query('PRAGMA integrity_check').get() as any).integrity_check).toBe('ok')
  const ids = new Set((db.query('SELECT id FROM events').all() as { id: string }[]).map((r) => r.id))
  for (const id of snapshot.keys()) expect(ids.has(id)).toBe(true)
  // events and roll-ups were written in the same transactions: they agree after the crash
  const rolled = (db.query('SELECT SUM(requests) AS n FROM rollups_hourly').get() as { n: number }).n
  expect(rolled).toBe(ids.size)
  db.close()
  // every answer that had fully arrived well before the kill had its event written
  const settled = l.outcomes.filter((o) => o.goodKey && o.id && o.doneAt !== null && o.doneAt < snapAt - 150)
  expect(settled.length).toBeGreaterThan(20)
  for (const o of settled) expect(ids.has(o.id!)).toBe(true)
  // and no event exists for a request that got no answer
  const answered = new Set(l.outcomes.filter((o) => o.id).map((o) => o.id!))
  const newIds = [...ids].filter((id) => !earlier.has(id))
  for (const id of newIds) expect(answered.has(id)).toBe(true)

  // the restarted binary serves and records on the recovered database, and stops cleanly
  const d = await start()
  const res = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-load', 'x-lectr-key': key },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
  })
  expect(res.status).toBe(200)
  const id = res.headers.get('x-lectr-request-id')!
  d.proc.kill('SIGTERM')
  expect(await d.exited).toBe(0)
  const after = readEvents()
  expect(after.has(id)).toBe(true)
  expect(after.size).toBe(ids.size + 1)
  const check = new Database(dbPath, { readonly: true })
  expect((check.query('PRAGMA integrity_check').get() as any).integrity_check).toBe('ok')
  check.close()
}, 20_000)

test('SIGTERM with requests outlasting the drain: they are cut, and each is still one event', async () => {
  const other = join(dir, 'drain.db')
  const p = await start({ LECTR_DB: other, LECTR_DRAIN_SECONDS: '0.3' })
  const send = (model: string, stream = false) =>
    fetch(`${p.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-load', 'x-lectr-key': p.orgKey! },
      body: JSON.stringify({ model, stream, messages: [] }),
    })
      .then((res) => res.text().then(() => res.status))
      .catch(() => 'cut')
  const quick = await Promise.all([send('gpt-4o-mini'), send('gpt-4o-mini', true)])
  const pending = [...Array.from({ length: 4 }, () => send('gpt-4o-slow')), ...Array.from({ length: 4 }, () => send('gpt-4o-long', true))]
  await Bun.sleep(300)
  const slowBefore = slowAnswered
  p.proc.kill('SIGTERM')
  expect(await p.exited).toBe(0)
  // gone after the 0.3 s drain, before any of the slow answers (3 s) was ready: it did not wait for them
  expect(slowAnswered).toBe(slowBefore)
  expect(quick).toEqual([200, 200])
  const cut = await Promise.all(pending)
  expect(cut.every((c) => c === 'cut' || c === 200)).toBe(true)
  const db = new Database(other, { readonly: true })
  const rows = db.query('SELECT model, status, error_code FROM events ORDER BY model').all() as any[]
  db.close()
  expect(rows.length).toBe(10)
  expect(rows.filter((r) => r.model === 'gpt-4o-mini').map((r) => r.status)).toEqual([200, 200])
  // cut by the drain, not by their clients: streams keep the upstream's status; those still waiting have none
  for (const r of rows.filter((r) => r.model === 'gpt-4o-long')) expect([r.status, r.error_code]).toEqual([200, 'lectr_shutdown'])
  for (const r of rows.filter((r) => r.model === 'gpt-4o-slow')) expect([r.status, r.error_code]).toEqual([499, 'lectr_shutdown'])
}, 10_000)
