import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from 'bun:sqlite'
import { parseConfig, type Config } from '../../src/config'
import { BASE_URL_SETTINGS } from '../../src/providers'
import { startServer, type Running } from '../../src/server'
import type { FakeUpstream } from './fake-upstream'

export const ADMIN_TOKEN = 'test-admin-token-0123456789'

export interface TestLectr {
  url: string
  orgKey: string
  dir: string
  dbPath: string
  running: Running
  /** POST /v1/<path> with the org key and a provider key */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
  /** GET /api/<path> with the admin token */
  api(path: string, init?: RequestInit): Promise<Response>
  /** every event in the log, oldest first (flushes the writer first) */
  events(): any[]
  stop(): Promise<void>
}

/**
 * Starts a real Lectr on 127.0.0.1:0 with a throwaway database, every provider pointed at `upstream`. `fetch`, if
 * given, is what the proxy calls upstream with (to look at its options).
 */
export async function startLectr(
  upstream: FakeUpstream | null,
  extra: Partial<Config> = {},
  env: Record<string, string> = {},
  fetchUpstream?: typeof fetch,
): Promise<TestLectr> {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-test-'))
  const dbPath = join(dir, 'lectr.db')
  const base = upstream?.baseUrl ?? 'http://127.0.0.1:9/v1'
  const parsed = parseConfig([], {
    LECTR_HOST: '127.0.0.1',
    LECTR_PORT: '0',
    LECTR_DB: dbPath,
    LECTR_ADMIN_TOKEN: ADMIN_TOKEN,
    // LECTR_OPENAI_BASE_URL … : every provider with a base-URL setting, a new one included
    ...Object.fromEntries(BASE_URL_SETTINGS.map((s) => [s.env, base])),
    LECTR_ALLOW_PRIVATE_UPSTREAMS: '1',
    ...env,
  })
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  const config = { ...parsed.config, ...extra }
  const running = await startServer(config, { log: () => {}, fetch: fetchUpstream })
  const orgKey = running.defaultOrgKey!
  const url = running.url
  let stopped = false
  return {
    url, orgKey, dir, dbPath, running,
    post: (path, body, headers = {}) =>
      fetch(`${url}/v1/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer provider-key-123', 'x-lectr-key': orgKey, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    api: (path, init = {}) =>
      fetch(`${url}/api/${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } }),
    events() {
      running.writer.flush()
      const db = new Database(dbPath, { readonly: true })
      try {
        return db.query('SELECT * FROM events ORDER BY id').all()
      } finally {
        db.close()
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      await running.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** What `eventually` hands back: `check`'s value, never a falsy one (`cond && value` gives the value). */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

/** Polls until `check` returns a truthy value (or throws after `ms`). */
export async function eventually<T>(check: () => T | Promise<T>, ms = 3000): Promise<Truthy<T>> {
  const until = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v as Truthy<T>
    if (Date.now() > until) throw new Error('condition not met in time')
    await Bun.sleep(20)
  }
}

/**
 * Sends a chat completion to `lectr` and leaves (aborts) as soon as `upstream` has received it, before any answer:
 * a client that goes away while the provider is still working.
 */
export async function postAndLeaveBeforeAnswer(lectr: TestLectr, upstream: FakeUpstream): Promise<void> {
  const ac = new AbortController()
  const n = upstream.received.length
  const p = fetch(`${lectr.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-lectr-key': lectr.orgKey, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    signal: ac.signal,
  }).catch(() => null)
  await eventually(() => upstream.received.length > n)
  ac.abort()
  await p
}
