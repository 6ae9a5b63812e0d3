// Every dashboard page and the admin API's model and recommendation reads over a big event log (issue 18: every
// page within 100 ms and 200 KB at 10M events). Starts a real Lectr on BENCH_DB (a database built by
// bench/events/distribution.ts, e.g. bench/.cache/events-10000000-…db; it is written to: use a copy), signs in,
// waits for the background read of the finished days, then times each read: `cold` (the first), then BENCH_RUNS
// runs (median), and for the recommendations `afterWrite` (one proxied request before each run, so the kept list is
// computed again: the figure of a busy server). Prints one JSON line; BENCH_OUT=path also writes it there.
// Env: BENCH_DB (required), BENCH_RUNS (default 3). BENCH_DATABASE_URL: serve from that Postgres database instead (a
// copy of BENCH_DB made by `lectr migrate-to-postgres`; BENCH_DB is then only read, for its size).
import { writeFileSync } from 'node:fs'
import { parseConfig } from '../../src/config'
import { startServer } from '../../src/server'
import { openDatabase } from '../../src/db/open'
import { median } from '../lib/proc'
import { ADMIN_TOKEN, signIn } from '../lib/lectr'

const DB = process.env.BENCH_DB
if (!DB) throw new Error('BENCH_DB: the path of a database built by bench/events/distribution.ts (a copy: it is written to)')
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const log = (l: string) => console.error(`pages: ${l}`)

const meta = openDatabase(DB)
const events = (meta.query('SELECT MAX(rowid) AS n FROM events').get() as { n: number | null }).n ?? 0
const newestHour = (meta.query("SELECT MAX(hour) AS h FROM rollups_hourly WHERE org_id = 'default'").get() as { h: number }).h
meta.close()
log(`${events} events, newest roll-up hour ${new Date(newestHour).toISOString()}`)

const PG_URL = process.env.BENCH_DATABASE_URL
const parsed = parseConfig([], { ...(PG_URL ? { LECTR_DATABASE_URL: PG_URL } : {}), LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: DB, LECTR_ADMIN_TOKEN: ADMIN_TOKEN, LECTR_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', LECTR_ALLOW_PRIVATE_UPSTREAMS: '1' })
if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
const running = await startServer(parsed.config, { log: () => {} })
const base = running.url

const session = await signIn(base)
// The background read of the finished days, as on a server that has been up a while.
await Bun.sleep(Number(process.env.BENCH_WARM_MS ?? 20_000))

const created = await fetch(`${base}/api/orgs/default/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' })
const orgKey = ((await created.json()) as { key: string }).key
// The upstream is closed: a 502, still an event (and new roll-ups).
const oneEvent = async () =>
  void (await (await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'x-lectr-key': orgKey, authorization: 'Bearer sk-x', 'content-type': 'application/json' }, body: '{"model":"gpt-4o","messages":[]}' })).text())

interface Timing { coldMs: number; medianMs: number; runsMs: number[]; bytes: number; status: number }
async function timed(path: string, headers: Record<string, string>, before?: () => Promise<void>): Promise<Timing> {
  const once = async () => {
    await before?.()
    const t = performance.now()
    const res = await fetch(base + path, { headers })
    const body = await res.arrayBuffer()
    return { ms: Math.round((performance.now() - t) * 10) / 10, bytes: body.byteLength, status: res.status }
  }
  const cold = await once()
  const runs = []
  for (let i = 0; i < RUNS; i++) runs.push(await once())
  const ms = runs.map((r) => r.ms)
  log(`${path}${before ? ' (after a write)' : ''}: cold ${cold.ms} ms, median ${median(ms)} ms, ${cold.bytes} bytes, ${cold.status}`)
  return { coldMs: cold.ms, medianMs: median(ms), runsMs: ms, bytes: cold.bytes, status: cold.status }
}

const page = { cookie: session }
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const since = new Date(Date.now() - 30 * 86_400_000).toISOString()
const results: Record<string, Timing> = {}
for (const [name, path, headers] of [
  ['overview24h', '/', page],
  ['overview7d', '/?range=7d', page],
  ['overview30d', '/?range=30d', page],
  ['models7d', '/models', page],
  ['models30d', '/models?range=30d', page],
  ['events', '/events', page],
  ['eventsFilteredRareModel', '/events?model=gpt-4.1-nano', page],
  ['recommendations', '/recommendations', page],
  ['recommendationsPage2', '/recommendations?page=2', page],
  ['apiModels30d', `/api/orgs/default/models?since=${since}`, admin],
  ['apiRecommendations', '/api/orgs/default/recommendations', admin],
  ['apiRecommendationsLimit50', '/api/orgs/default/recommendations?limit=50', admin],
] as const) results[name] = await timed(path, headers)
results.recommendationsAfterWrite = await timed('/recommendations', page, oneEvent)
results.apiRecommendationsAfterWrite = await timed('/api/orgs/default/recommendations?limit=50', admin, oneEvent)
results.overview30dAfterWrite = await timed('/?range=30d', page, oneEvent)
await running.stop()

const out = JSON.stringify({ date: new Date().toISOString(), store: PG_URL ? 'postgres' : 'sqlite', events, runs: RUNS, note: 'one run on a shared 2-core machine', results })
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, out + '\n')
console.log(out)
