// Issue 20: requests/s of one Lectr on Postgres against the same on SQLite (goal ≥ 0.9×), and the events it writes
// per second meanwhile. The compiled binary (dist/lectr, `make build`) twice, both at the same mock provider
// (bench/servers/mock.ts): one on a SQLite file, one on a throwaway local Postgres (durable defaults: fsync,
// synchronous commit). wrk at 32 connections (bench/wrk/chat.lua), interleaved rounds, the variants taking turns
// (which goes first alternates), each round preceded by no warm-up of its own (a warm-up round for both comes first).
// Events written/s is read from /api/health `events.written` before and after each round; the figure counts events
// written during the round (the writer flushes in batches, so a round's last batch may land in the next).
// Env: BENCH_ROUNDS (default 3), BENCH_SECONDS (default 5), BENCH_QUICK=1 (1 round of 2 s), BENCH_LECTR_BASELINE=<binary>
// (an older build run as a third variant, `postgres-baseline`, on its own database of the same cluster, taking turns
// with the others: an A/B of a change to the Postgres path in one run). Prints one JSON line,
// writes bench/results/postgres-rps-<date>.json. `make bench-postgres` runs it after bench/postgres-writes.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SQL } from 'bun'
import { createDatabase, startPostgres } from '../test/helpers/postgres'
import { ADMIN_TOKEN, LECTR_READY, lectrEnv } from './lib/lectr'
import { cpuMs, median, startChild, type Child } from './lib/proc'
import { ensureWrk, runWrk, type WrkResult } from './lib/wrk'

const QUICK = process.env.BENCH_QUICK === '1'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3))
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 5))
const CONNS = 32
const BUN = process.execPath
const LECTR = resolve(process.env.BENCH_LECTR ?? join(import.meta.dir, '..', 'dist', 'lectr'))
const PROVIDER_KEY = 'sk-bench-provider-key'
const log = (l: string) => console.error(`postgres-rps: ${l}`)
const load = () => loadavg().map((l) => Number(l.toFixed(2)))

type Store = 'sqlite' | 'postgres' | 'postgres-baseline'
interface Lectr { store: Store; child: Child; key: string }
const BASELINE = process.env.BENCH_LECTR_BASELINE ? resolve(process.env.BENCH_LECTR_BASELINE) : null
interface Round { store: Store; round: number; rps: number; p50ms: number; p99ms: number; errors: number; requests: number; eventsWritten: number; eventsPerSecond: number; cpuUsPerRequest: number; postgresServerCpuUsPerRequest: number; loadavg: number[] }

const wrkMissing = ensureWrk(log)
if (wrkMissing) throw new Error(wrkMissing)

const scratch = mkdtempSync(join(tmpdir(), 'lectr-pgrps-'))
const children: Child[] = []
const pg = await startPostgres({ durable: true })
try {
  const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
  children.push(mock)
  const url = await createDatabase(pg, 'lectr_rps')
  const start = async (store: Store): Promise<Lectr> => {
    const dir = mkdtempSync(join(scratch, `${store}-`))
    const database = store === 'postgres' ? url : store === 'postgres-baseline' ? await createDatabase(pg, 'lectr_rps_baseline') : null
    const env = { ...lectrEnv(mock.port, join(dir, 'lectr.db')), ...(database ? { LECTR_DATABASE_URL: database } : {}) }
    const child = await startChild({ name: `lectr-${store}`, cmd: [store === 'postgres-baseline' ? BASELINE! : LECTR], cwd: dir, env, ready: LECTR_READY })
    children.push(child)
    return { store, child, key: child.match[2]! }
  }
  const lectrs = [await start('sqlite'), await start('postgres'), ...(BASELINE ? [await start('postgres-baseline')] : [])]
  // The server's processes (the postmaster and its backends, Lectr's pool among them): their CPU per request, in
  // both variants (in the SQLite one it is near 0), so the CPU the Postgres variant takes from the shared cores shows.
  const probe = new SQL(url, { max: 1 })
  const [{ pid: backend }] = await probe`SELECT pg_backend_pid() AS pid`
  const postmaster = Number((await Bun.file(`/proc/${backend}/stat`).text()).split(') ')[1]!.split(' ')[1])
  await probe.close()
  const written = async (l: Lectr): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${l.child.port}/api/health`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    const body = (await res.json()) as { status?: string; events?: { written: number } }
    if (body.events?.written === undefined) throw new Error(`${l.store}: /api/health has no events.written: ${JSON.stringify(body)}`)
    return body.events.written
  }
  const load32 = (l: Lectr, seconds: number): Promise<WrkResult> =>
    runWrk({
      url: `http://127.0.0.1:${l.child.port}/v1/chat/completions`,
      headers: { 'x-lectr-key': l.key, 'x-lectr-feature': 'bench', 'x-lectr-task': 'generation', authorization: `Bearer ${PROVIDER_KEY}` },
      conns: CONNS,
      seconds,
      pid: l.child.pid,
      scratch,
    })
  // Both answer the mock's 200 before anything is measured.
  for (const l of lectrs) {
    const res = await fetch(`http://127.0.0.1:${l.child.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lectr-key': l.key, authorization: `Bearer ${PROVIDER_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`${l.store} answered ${res.status}: ${text.slice(0, 300)}`)
  }
  for (const l of lectrs) await load32(l, 2)
  const rounds: Round[] = []
  for (let r = 0; r < ROUNDS; r++) {
    // Each variant goes first in turn (with two: alternating, as before).
    for (const l of lectrs.map((_, i) => lectrs[(i + r) % lectrs.length]!)) {
      const loadavgNow = load()
      const w0 = await written(l)
      const s0 = cpuMs(postmaster)
      const w = await load32(l, SECONDS)
      const serverMs = cpuMs(postmaster) - s0
      const eventsWritten = (await written(l)) - w0
      const round = {
        store: l.store, round: r, rps: Math.round(w.rps), p50ms: w.p50us / 1000, p99ms: w.p99us / 1000, errors: w.errors, requests: w.requests,
        eventsWritten, eventsPerSecond: Math.round(eventsWritten / w.seconds), cpuUsPerRequest: Math.round(w.cpuUsPerRequest),
        postgresServerCpuUsPerRequest: Math.round((serverMs * 1000) / Math.max(1, w.requests)), loadavg: loadavgNow,
      }
      log(`round ${r} ${l.store}: ${round.rps} req/s, p99 ${round.p99ms} ms, ${round.eventsPerSecond} events/s, CPU/request Lectr ${round.cpuUsPerRequest} µs + Postgres ${round.postgresServerCpuUsPerRequest} µs, ${round.errors} errors (load ${loadavgNow.join(' ')})`)
      rounds.push(round)
    }
  }
  // The last batches land: every answered request is one event on both stores.
  await Bun.sleep(1500)
  const totals = Object.fromEntries(await Promise.all(lectrs.map(async (l) => [l.store, await written(l)] as const)))
  const of = (s: Store) => rounds.filter((r) => r.store === s)
  const summary = (s: Store) => ({ medianRps: median(of(s).map((r) => r.rps)), medianEventsPerSecond: median(of(s).map((r) => r.eventsPerSecond)), medianP99ms: median(of(s).map((r) => r.p99ms)), errors: of(s).reduce((n, r) => n + r.errors, 0), eventsWrittenSinceStart: totals[s] })
  const sqlite = summary('sqlite')
  const postgres = summary('postgres')
  const baseline = BASELINE ? summary('postgres-baseline') : null
  const server = Bun.spawnSync(['/usr/lib/postgresql/15/bin/postgres', '--version']).stdout.toString().trim()
  const out = {
    bench: 'postgres-rps',
    date: new Date().toISOString(),
    goal: 'requests/s on Postgres >= 0.9 x on SQLite',
    ratio: Number((postgres.medianRps / sqlite.medianRps).toFixed(3)),
    ...(baseline ? { baselineRatio: Number((baseline.medianRps / sqlite.medianRps).toFixed(3)), baselineBinary: BASELINE, baseline } : {}),
    roundRatios: Array.from({ length: ROUNDS }, (_, r) => Number(((rounds.find((x) => x.round === r && x.store === 'postgres')!.rps) / rounds.find((x) => x.round === r && x.store === 'sqlite')!.rps).toFixed(3))),
    sqlite,
    postgres,
    setup: `dist/lectr, wrk -t1 -c${CONNS} -d${SECONDS}s bench/wrk/chat.lua, ${ROUNDS} interleaved rounds, mock provider; Postgres: throwaway local cluster, durable defaults`,
    postgresVersion: server || 'unknown',
    cpus: cpus().length,
    loadavgEnd: load(),
    bun: Bun.version,
    rounds,
  }
  log(`Postgres/SQLite ${out.ratio} (${postgres.medianRps} / ${sqlite.medianRps} req/s); events/s under load: Postgres ${postgres.medianEventsPerSecond}, SQLite ${sqlite.medianEventsPerSecond}`)
  if (baseline) log(`baseline Postgres/SQLite ${out.baselineRatio} (${baseline.medianRps} req/s)`)
  console.log(JSON.stringify(out))
  const dir = join(import.meta.dir, 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `postgres-rps-${out.date.slice(0, 16).replace(':', '')}.json`), `${JSON.stringify(out, null, 2)}\n`)
} finally {
  for (const c of children.reverse()) await c.stop()
  await pg.stop()
  rmSync(scratch, { recursive: true, force: true })
}
