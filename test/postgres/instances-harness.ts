/**
 * Several Lectr processes on one store, driven with mixed traffic through a fake upstream: the scenarios of issue
 * 20's multi-instance tests, written once for any store both processes can share (a `Backend`). Run by
 * instances-sqlite.test.ts (two processes on one SQLite file) and instances.pending.ts (one throwaway Postgres).
 */
import { expect } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatJson, FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { spawnLectr, type LectrProcess } from '../helpers/lectr-process'

export const ADMIN = 'instances-admin-token-0123456789'

/** A store several processes share. */
export interface Backend {
  name: string
  /** the settings that put instance `i` on the shared store (its own spill file included) */
  env(i: number, dir: string): Record<string, string>
  /** every stored event: id and status */
  events(): Promise<{ id: string; status: number }[]>
  /** takes the store away, as an outage (Postgres only) */
  halt?(): Promise<void>
  resume?(): Promise<void>
  close(): Promise<void>
}

export type Kind = 'json' | 'stream' | 'error' | 'abort'
export const KINDS: readonly Kind[] = ['json', 'stream', 'error', 'abort']
const MODEL: Record<Kind, string> = { json: 'gpt-4o-mini', stream: 'gpt-4o', error: 'gpt-4-turbo', abort: 'gpt-3.5-turbo' }

/** The fake provider: the model asked for says what it does (answer, stream, fail with a 500, answer late). */
export function mixedUpstream(): FakeUpstream {
  const up = new FakeUpstream()
  up.script = async (_req, rec) => {
    const model = (JSON.parse(rec.body || '{}') as { model?: string }).model
    if (model === MODEL.stream) return sse(openaiChatStream(5, { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 }, 'gpt-4o-2024-08-06'), { delayMs: 5 })
    if (model === MODEL.error) return chatJson({ status: 500 })
    if (model === MODEL.abort) await Bun.sleep(400)
    return chatJson({ model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })
  }
  return up
}

/** What became of the requests sent: the event ids of those answered, how many the client left, how many never reached Lectr. */
export class Tally {
  answered: string[] = []
  aborted = 0
  refused = 0
  /** failed after connecting (cut mid-answer): recorded or not, Lectr cannot say to the client */
  cut = 0
  /** why each cut request failed */
  cutErrors: string[] = []
  /** 401: the key is not (yet, or no longer) known to that instance; no event */
  unknownKey = 0
}

/** One request of a kind to an instance; its fate goes into `tally`. */
export async function send(instance: LectrProcess, kind: Kind, key: string, tally: Tally): Promise<void> {
  const ac = new AbortController()
  if (kind === 'abort') setTimeout(() => ac.abort(), 100)
  let res: Response
  try {
    res = await fetch(`${instance.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-lectr-key': key, authorization: 'Bearer provider-key', 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL[kind], stream: kind === 'stream', messages: [{ role: 'user', content: 'hi' }] }),
      signal: ac.signal,
    })
  } catch (err) {
    if (kind === 'abort' && ac.signal.aborted) tally.aborted++
    else if (/refused|ECONNREFUSED|Unable to connect/i.test(String((err as Error).message ?? err)) || (err as { code?: string }).code === 'ConnectionRefused') tally.refused++
    else {
      tally.cut++
      tally.cutErrors.push(String((err as Error).message ?? err))
    }
    return
  }
  try {
    await res.text()
  } catch (err) {
    tally.cut++
    tally.cutErrors.push(`mid-answer: ${String((err as Error).message ?? err)}`)
    return
  }
  if (res.status === 401) {
    tally.unknownKey++
    return
  }
  const id = res.headers.get('x-lectr-request-id')
  expect(id).toBeTruthy()
  tally.answered.push(id!)
}

/** `n` requests of every kind in turn, spread over the instances, `concurrency` at a time. */
export async function drive(instances: LectrProcess[], key: string, n: number, tally: Tally, concurrency = 6): Promise<void> {
  let next = 0
  const worker = async () => {
    for (let i = next++; i < n; i = next++) await send(instances[i % instances.length]!, KINDS[i % KINDS.length]!, key, tally)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

/** Keeps sending until `stop()` (or until an instance refuses, for one being stopped). */
export function load(instance: LectrProcess, key: string, tally: Tally, concurrency = 6): { stop(): Promise<void> } {
  let stopped = false
  const worker = async () => {
    for (let i = 0; !stopped; i++) {
      const before = tally.refused
      await send(instance, KINDS[i % 3]!, key, tally) // no client aborts: every request is answered or refused
      if (tally.refused > before) return
    }
  }
  const all = Promise.all(Array.from({ length: concurrency }, worker))
  return {
    async stop() {
      stopped = true
      await all
    },
  }
}

export async function api(instance: LectrProcess, path: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(`${instance.url}/api/${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } })
}

export async function apiJson(instance: LectrProcess, path: string, init: RequestInit = {}): Promise<any> {
  const res = await api(instance, path, init)
  expect({ path, status: res.status }).toEqual({ path, status: res.status < 300 ? res.status : 200 })
  return await res.json()
}

/** Every answered request is exactly one stored event; the stored ones are those answered plus those left or cut. */
export async function expectOneEventPerRequest(backend: Backend, tally: Tally): Promise<void> {
  const events = await backend.events()
  const ids = events.map((e) => e.id)
  expect(new Set(ids).size).toBe(ids.length)
  const stored = new Set(ids)
  expect(tally.answered.filter((id) => !stored.has(id))).toEqual([])
  expect(new Set(tally.answered).size).toBe(tally.answered.length)
  expect(ids.length).toBeGreaterThanOrEqual(tally.answered.length + tally.aborted)
  expect(ids.length).toBeLessThanOrEqual(tally.answered.length + tally.aborted + tally.cut)
}

/** Two instances on `backend`, a fake upstream and a key made for the traffic; everything stopped by `close`. */
export async function startInstances(backend: Backend, count = 2): Promise<{ up: FakeUpstream; instances: LectrProcess[]; key: string; dirs: string[]; close(): Promise<void> }> {
  const up = mixedUpstream()
  const dirs: string[] = []
  const instances: LectrProcess[] = []
  const env = (i: number) => {
    const dir = mkdtempSync(join(tmpdir(), `lectr-instance-${i}-`))
    dirs.push(dir)
    return { dir, env: { LECTR_ADMIN_TOKEN: ADMIN, LECTR_OPENAI_BASE_URL: up.baseUrl, LECTR_DRAIN_SECONDS: '10', ...backend.env(i, dir) } }
  }
  const close = async () => {
    for (const l of instances) if (l.proc.exitCode === null) l.proc.kill('SIGKILL')
    await Promise.all(instances.map((l) => l.proc.exited))
    up.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  try {
    // The first alone: it makes the schema and `default` (the others find them).
    const first = env(0)
    instances.push(await spawnLectr(first.env, first.dir))
    const key = ((await apiJson(instances[0]!, 'orgs/default/keys', { method: 'POST', body: '{"label":"traffic"}' })) as { key: string }).key
    for (let i = 1; i < count; i++) {
      const next = env(i)
      instances.push(await spawnLectr(next.env, next.dir))
    }
    return { up, instances, key, dirs, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** The admin answers both instances must give alike (each read first waits for its own writer). */
export async function adminAnswers(instance: LectrProcess): Promise<unknown[]> {
  const paths = ['orgs', 'orgs/default/keys', 'orgs/default/events?limit=1000', 'orgs/default/models', 'registry/overrides', 'orgs/default/routing/versions']
  const out: unknown[] = []
  for (const p of paths) out.push({ path: p, body: await apiJson(instance, p) })
  return out
}

/** Until `check` holds, or `ms` pass: the time it took, or throws. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now()
  for (;;) {
    if (await check()) return Date.now() - start
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`)
    await Bun.sleep(50)
  }
}
