// The Recommendations page and API over a big log (issue 18: every page within 100 ms and 200 KB at 10M events).
// Builds (once, cached in bench/.cache) the hourly roll-ups of BENCH_EVENTS events over 90 days with the same
// generator as distribution.ts, but no raw event rows: the page and the API read only the roll-ups. Starts a real
// Lectr on that database, signs in, then times GET /recommendations, GET /recommendations?page=2 and
// GET /api/orgs/default/recommendations (median of BENCH_RUNS after one warm-up) and reports the bodies' sizes.
// `pageAfterWrite` sends one proxied request before each run, so the list is computed again every time (a busy
// server), where `page2` reads the kept one. Prints one JSON line. Env: BENCH_EVENTS (default 1,000,000), BENCH_RUNS (default 5).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { migrate, openDatabase } from '../../src/db/open'
import { parseConfig } from '../../src/config'
import { startServer } from '../../src/server'
import { HOUR_MS, hourlyCounts, makeCompact, rng, type Compact } from './generate'
import { bulkConnection, deriveCoarserRollups, RollupBuilder } from './dataset'
import { median } from '../lib/proc'
import { ADMIN_TOKEN, signIn } from '../lib/lectr'

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DAYS = 90
const cacheDir = join(import.meta.dir, '..', '.cache')
const schemaHash = Bun.hash((await import('../../src/db/migrations')).MIGRATIONS.join('\n')).toString(36)
const cachePath = join(cacheDir, `rollups-${N}-${schemaHash}.db`)
const log = (l: string) => console.error(`recommendations-page: ${l}`)

let buildSeconds: number | null = null
if (!existsSync(cachePath)) {
  mkdirSync(cacheDir, { recursive: true })
  const tmp = `${cachePath}.building`
  for (const suffix of ['', '-wal', '-shm']) rmSync(tmp + suffix, { force: true })
  const db = bulkConnection(tmp)
  migrate(db)
  const t0 = performance.now()
  const endHour = Date.now() - (Date.now() % HOUR_MS)
  const r = rng(2024)
  const builder = new RollupBuilder(db)
  db.transaction(() => {
    for (const { hour, count } of hourlyCounts(N, DAYS * 24, endHour)) {
      const events: Compact[] = new Array(count)
      for (let i = 0; i < count; i++) events[i] = makeCompact(r, hour + Math.floor(r() * HOUR_MS))
      builder.addHour(hour, events)
    }
  })()
  db.transaction(() => deriveCoarserRollups(db))()
  db.close()
  renameSync(tmp, cachePath)
  openDatabase(cachePath).close()
  buildSeconds = (performance.now() - t0) / 1000
  log(`built ${cachePath} in ${buildSeconds.toFixed(0)} s`)
}

const parsed = parseConfig([], { LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: cachePath, LECTR_ADMIN_TOKEN: ADMIN_TOKEN, LECTR_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', LECTR_ALLOW_PRIVATE_UPSTREAMS: '1' })
if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
const running = await startServer(parsed.config, { log: () => {} })
const base = running.url

const session = await signIn(base)

// The background read of the finished days, as on a server that has been up a while.
await Bun.sleep(3000)

async function timed(path: string, headers: Record<string, string>, before?: () => Promise<void>): Promise<{ medianMs: number; runsMs: number[]; bytes: number; status: number }> {
  const once = async () => {
    await before?.()
    const t = performance.now()
    const res = await fetch(base + path, { headers })
    const body = await res.arrayBuffer()
    return { ms: performance.now() - t, bytes: body.byteLength, status: res.status }
  }
  await once()
  const runs = []
  for (let i = 0; i < RUNS; i++) runs.push(await once())
  const ms = runs.map((r) => Math.round(r.ms * 10) / 10)
  return { medianMs: median(ms), runsMs: ms, bytes: runs[0]!.bytes, status: runs[0]!.status }
}

// A key for one proxied request before each timed run of `pageAfterWrite`: a new event moves the roll-ups' write
// mark, so the kept list is computed again (the figure of a busy server). The upstream is closed: a 502, still an event.
const created = await fetch(`${base}/api/orgs/default/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' })
const orgKey = ((await created.json()) as { key: string }).key
const oneEvent = async () =>
  void (await (await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'x-lectr-key': orgKey, authorization: 'Bearer sk-x', 'content-type': 'application/json' }, body: '{"model":"gpt-4o","messages":[]}' })).text())

const page = await timed('/recommendations', { cookie: session })
const page2 = await timed('/recommendations?page=2', { cookie: session })
const pageAfterWrite = await timed('/recommendations?page=2', { cookie: session }, oneEvent)
const api = await timed('/api/orgs/default/recommendations', { authorization: `Bearer ${ADMIN_TOKEN}` })
const apiLimited = await timed('/api/orgs/default/recommendations?limit=50', { authorization: `Bearer ${ADMIN_TOKEN}` })
const count = ((await (await fetch(`${base}/api/orgs/default/recommendations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { recommendations: unknown[] }).recommendations.length
await running.stop()
const meta = openDatabase(cachePath)
const rollupRows = (meta.query('SELECT COUNT(*) AS n FROM rollups_hourly').get() as { n: number }).n
meta.close()

console.log(JSON.stringify({ events: N, rollupRows, buildSeconds, recommendations: count, page, page2, pageAfterWrite, api, apiLimited }))
