// `make bench-read-stall`: does reading stall forwarding? (issue 18: while any page or admin read runs, a proxied
// request's added latency stays under 20 ms; every page answers within 100 ms and 200 KB.)
// Lectr (the compiled binary, BENCH_LECTR; or BENCH_SRC=1 for `bun src/main.ts`) runs on a copy of the big event log
// (bench/events/distribution.ts builds it once into bench/.cache) with OpenAI pointed at the mock provider. Once its
// start-up work is done (CPU idle), a prober sends a proxied chat completion every 1 ms (open loop: it never waits
// for an answer) and times each one, first with nothing else running (idle), then while each read below runs,
// one read at a time, READ_STALL_REPEATS times each:
//   pages (signed in, range=30d): Overview /, Models /models, Events /events, Recommendations /recommendations
//   admin API: models, events, recommendations, and an export's first READ_STALL_EXPORT_EVENTS events (then cancelled)
// A read's figures: its time and bytes (median over the repeats), and the latency of the proxied requests *sent
// while it ran* (p50/p99/max), minus the median of the requests sent between its repeats (the added latency; the
// load of a shared machine drifts, so each read has its own idle; the idle of the start is printed too).
// Writes bench/results/read-stall-<date>.json.
// Env: BENCH_EVENTS (default 10,000,000), BENCH_QUICK=1 (200,000 events), READ_STALL_REPEATS (default 5),
// READ_STALL_EXPORT_EVENTS (default 20,000), READ_STALL_ONLY (e.g. "overview,api export"), BENCH_LECTR, BENCH_SRC=1,
// EXP_* (passed to Lectr).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ADMIN_TOKEN, CHAT_REQUEST, lectrEnv, signIn } from './lib/lectr'
import { cpuMs, median, memKiB, percentile, startChild, type Child } from './lib/proc'

const QUICK = process.env.BENCH_QUICK === '1'
const REPEATS = Number(process.env.READ_STALL_REPEATS ?? (QUICK ? 2 : 5))
const EXPORT_EVENTS = Number(process.env.READ_STALL_EXPORT_EVENTS ?? 20_000)
const PROBE_EVERY_MS = 1
const IDLE_MS = 3000
/** Between reads: the proxied requests of one read's window are answered before the next begins. */
const GAP_MS = 300
const GOAL_ADDED_MS = 20
const GOAL_PAGE_MS = 100
const GOAL_PAGE_BYTES = 200_000
const ROOT = resolve(import.meta.dir, '..')
const BUN = process.execPath
const LECTR = resolve(process.env.BENCH_LECTR ?? join(ROOT, 'dist/lectr'))
const FROM_SOURCE = process.env.BENCH_SRC === '1'
/** EXP_* reach Lectr: flags of an experiment build (BENCH_LECTR) */
const experimentFlags = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('EXP_')) as [string, string][])
/** READ_STALL_ONLY: a comma-separated list of read names (case-insensitive prefixes) to run, default all */
const ONLY = (process.env.READ_STALL_ONLY ?? '').toLowerCase().split(',').filter(Boolean)
const t0 = Date.now()
const say = (l: string) => console.error(`[read-stall ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${l}`)
const sh = (cmd: string) => Bun.spawnSync(['sh', '-c', cmd], { cwd: ROOT, stderr: 'pipe' }).stdout.toString().trim()

// 1. The big event log, built and cached as the model-distribution benchmark does; a copy Lectr may write to.
say('the event log: bench/events/distribution.ts (builds it into bench/.cache the first time)')
const dist = Bun.spawn([BUN, join(import.meta.dir, 'events', 'distribution.ts')], { cwd: ROOT, stdout: 'pipe', stderr: 'inherit', env: { ...process.env } })
const distOut = await new Response(dist.stdout).text()
if ((await dist.exited) !== 0) throw new Error(`distribution.ts failed: ${distOut.slice(-1000)}`)
const dataset = JSON.parse(distOut.trim().split('\n').pop()!) as { cache: string; events: number; bytes: number }
const scratch = mkdtempSync(join(tmpdir(), 'lectr-bench-read-stall-'))
const db = join(scratch, 'lectr.db')
copyFileSync(dataset.cache, db)
say(`${dataset.events} events, ${(dataset.bytes / 1e9).toFixed(2)} GB, copied to ${db}`)

// 2. The mock provider and Lectr; an org key from the admin API (the cached log's org may have one already).
const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const lectr = await startChild({
  name: 'lectr',
  // BUN_CONFIG_MAX_HTTP_REQUESTS set: from source, Lectr would otherwise re-execute itself.
  cmd: FROM_SOURCE ? [BUN, join(ROOT, 'src', 'main.ts')] : [LECTR],
  cwd: scratch,
  // Retention far out: the log spans 90 days up to when it was built, and pruning must not run during the reads.
  env: { ...lectrEnv(mock.port, db), LECTR_RETENTION_DAYS: '36500', ...(FROM_SOURCE ? { BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' } : {}), ...experimentFlags },
  ready: /listening on \S+:(\d+)/,
  timeoutMs: 120_000,
})
const base = `http://127.0.0.1:${lectr.port}`
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const keyRes = await fetch(`${base}/api/orgs/default/keys`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{"label":"read-stall"}' })
if (keyRes.status !== 201) throw new Error(`creating an org key: ${keyRes.status} ${await keyRes.text()}`)
const orgKey = ((await keyRes.json()) as { key: string }).key

/** Waits until `c` has used under 20 ms of CPU in each of 4 half-seconds (its start-up work done), at most 120 s. */
async function settle(c: Child): Promise<number> {
  const start = performance.now()
  let quiet = 0
  let last = cpuMs(c.pid)
  while (quiet < 4 && performance.now() - start < 120_000) {
    await Bun.sleep(500)
    const now = cpuMs(c.pid)
    quiet = now - last < 20 ? quiet + 1 : 0
    last = now
  }
  return (performance.now() - start) / 1000
}
say('waiting for Lectr to go idle (its start-up reads of the roll-ups)')
const settleSeconds = await settle(lectr)
/** Lectr's resident memory (MiB) at three moments: idle after start, after the first view of every read, at the end. */
const rssMiB = (): number => Math.round(memKiB(lectr.pid).rss / 1024)
const rss = { afterStart: rssMiB(), afterFirstViews: NaN, atEnd: NaN }
say(`idle after ${settleSeconds.toFixed(1)} s, RSS ${rss.afterStart} MiB`)

// 3. A dashboard session, signed in as a person does (the form's CSRF token and cookie, then the admin token).
const session = await signIn(base)

// 4. The prober: a proxied request every PROBE_EVERY_MS, each timed from the moment it was sent.
interface Probe {
  sentAt: number
  ms: number
  ok: boolean
}
const probeBody = JSON.stringify(CHAT_REQUEST)
const probeHeaders = { 'content-type': 'application/json', 'x-lectr-key': orgKey, 'x-lectr-feature': 'read-stall', authorization: 'Bearer sk-bench-provider-key' }
function startProber(): { stop(): Promise<Probe[]> } {
  const probes: Probe[] = []
  const pending = new Set<Promise<void>>()
  const send = () => {
    const sentAt = performance.now()
    const p = fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: probeHeaders, body: probeBody })
      .then(async (r) => {
        await r.arrayBuffer()
        probes.push({ sentAt, ms: performance.now() - sentAt, ok: r.status === 200 })
      })
      .catch(() => {
        probes.push({ sentAt, ms: performance.now() - sentAt, ok: false })
      })
      .finally(() => pending.delete(p))
    pending.add(p)
  }
  const timer = setInterval(send, PROBE_EVERY_MS)
  return {
    async stop() {
      clearInterval(timer)
      await Promise.all([...pending])
      return probes.sort((a, b) => a.sentAt - b.sentAt)
    },
  }
}

interface Latency {
  n: number
  failed: number
  p50: number
  p99: number
  max: number
}
function latencyOf(probes: Probe[]): Latency {
  const ms = probes.map((p) => p.ms)
  return { n: probes.length, failed: probes.filter((p) => !p.ok).length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms.length ? Math.max(...ms) : NaN }
}

// 5. The reads.
interface Read {
  name: string
  kind: 'page' | 'admin'
  path: string
  /** for the export: stop after this many lines */
  lines?: number
}
const ALL_READS: Read[] = [
  { name: 'Overview', kind: 'page', path: '/?range=30d' },
  { name: 'Models', kind: 'page', path: '/models?range=30d' },
  { name: 'Events', kind: 'page', path: '/events?range=30d' },
  { name: 'Recommendations', kind: 'page', path: '/recommendations?range=30d' },
  { name: 'API models', kind: 'admin', path: '/api/orgs/default/models' },
  { name: 'API events', kind: 'admin', path: '/api/orgs/default/events' },
  { name: 'API recommendations', kind: 'admin', path: '/api/orgs/default/recommendations' },
  { name: `API export (first ${EXPORT_EVENTS})`, kind: 'admin', path: '/api/orgs/default/events/export?format=ndjson', lines: EXPORT_EVENTS },
]
const READS = ALL_READS.filter((r) => ONLY.length === 0 || ONLY.some((o) => r.name.toLowerCase().startsWith(o)))

async function readOnce(r: Read): Promise<{ status: number; ms: number; bytes: number }> {
  const start = performance.now()
  const res = await fetch(base + r.path, { headers: r.kind === 'page' ? { cookie: session } : admin, redirect: 'manual' })
  const reader = res.body!.getReader()
  let bytes = 0
  let lines = 0
  for (;;) {
    const c = await reader.read()
    if (c.done) break
    bytes += c.value.byteLength
    if (r.lines) {
      for (let i = c.value.indexOf(10); i !== -1; i = c.value.indexOf(10, i + 1)) lines++
      if (lines >= r.lines) {
        await reader.cancel()
        break
      }
    }
  }
  return { status: res.status, ms: performance.now() - start, bytes }
}

interface ReadResult {
  name: string
  kind: 'page' | 'admin'
  path: string
  statuses: number[]
  ms: number[]
  bytes: number
  medianMs: number
  /** proxied requests sent while the read ran */
  during: Latency
  /** proxied requests sent between this read's repeats (the added figures are against their median) */
  idleBetween: Latency
  addedP50: number
  addedP99: number
  addedMax: number
}

// Each read once before measuring: the first read of a page may fill caches that a person's first view would too,
// but the figures are for the views that follow (the first view's own figures are printed, not judged).
say('each read once, unmeasured')
const firstViews: Record<string, { status: number; ms: number; bytes: number }> = {}
for (const r of READS) {
  // A cold read can outlast Bun's 10 s idle timeout on a loaded machine (the connection is closed): tried once more.
  firstViews[r.name] = await readOnce(r).catch((e) => {
    say(`  first ${r.name} failed (${String(e).slice(0, 80)}), tried again`)
    return readOnce(r)
  })
}
for (const [name, v] of Object.entries(firstViews)) say(`  first ${name}: ${v.status} ${v.ms.toFixed(0)} ms ${(v.bytes / 1000).toFixed(0)} KB`)
for (const [name, v] of Object.entries(firstViews)) if (v.status !== 200) throw new Error(`${name} answered ${v.status}`)
rss.afterFirstViews = rssMiB()
say(`RSS after the first views: ${rss.afterFirstViews} MiB`)

say(`idle: proxied requests every ${PROBE_EVERY_MS} ms for ${IDLE_MS / 1000} s`)
let prober = startProber()
await Bun.sleep(IDLE_MS)
const idleProbes = await prober.stop()
// The first 200 ms warm the connections up.
const idle = latencyOf(idleProbes.filter((p) => p.sentAt > idleProbes[0]!.sentAt + 200))
say(`idle: ${idle.n} requests, p50 ${idle.p50.toFixed(2)} ms, p99 ${idle.p99.toFixed(2)} ms, max ${idle.max.toFixed(1)} ms, ${idle.failed} failed`)

const results: ReadResult[] = []
for (const r of READS) {
  const windows: [number, number][] = []
  const runs: { status: number; ms: number; bytes: number }[] = []
  prober = startProber()
  await Bun.sleep(GAP_MS)
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now()
    runs.push(await readOnce(r))
    windows.push([start, performance.now()])
    await Bun.sleep(GAP_MS)
  }
  const probes = await prober.stop()
  const during = latencyOf(probes.filter((p) => windows.some(([a, b]) => p.sentAt >= a && p.sentAt <= b)))
  // This read's own idle: requests sent in the gaps, from 100 ms after a read ended (when its backlog is answered)
  // to the next read; the machine's load drifts, so each read is compared with the idle of its own minute.
  const gaps = windows.map(([, b], i) => [b + 100, windows[i + 1]?.[0] ?? b + GAP_MS] as [number, number])
  const near = latencyOf(probes.filter((p) => gaps.some(([a, b]) => p.sentAt >= a && p.sentAt <= b)))
  const res: ReadResult = {
    name: r.name,
    kind: r.kind,
    path: r.path,
    statuses: runs.map((x) => x.status),
    ms: runs.map((x) => x.ms),
    bytes: median(runs.map((x) => x.bytes)),
    medianMs: median(runs.map((x) => x.ms)),
    during,
    idleBetween: near,
    // A request's added latency: its own minus the median of those sent between the reads (a long read's backlog
    // can reach into the gaps after it, so their tail is no fair floor).
    addedP50: during.p50 - near.p50,
    addedP99: during.p99 - near.p50,
    addedMax: during.max - near.p50,
  }
  results.push(res)
  say(
    `${r.name}: ${res.medianMs.toFixed(0)} ms ${(res.bytes / 1000).toFixed(0)} KB; ${during.n} proxied requests meanwhile: ` +
      `p50 ${during.p50.toFixed(1)} p99 ${during.p99.toFixed(1)} max ${during.max.toFixed(1)} ms (${during.failed} failed); ` +
      `between reads: p50 ${near.p50.toFixed(1)} p99 ${near.p99.toFixed(1)} max ${near.max.toFixed(1)} ms (${near.n})`,
  )
}
rss.atEnd = rssMiB()
await lectr.stop()
await mock.stop()
rmSync(scratch, { recursive: true, force: true })

const pagesOk = results.filter((r) => r.kind === 'page').every((r) => r.medianMs <= GOAL_PAGE_MS && r.bytes <= GOAL_PAGE_BYTES)
const stallOk = results.every((r) => r.addedMax <= GOAL_ADDED_MS)
const result = {
  meta: {
    date: new Date().toISOString(),
    quick: QUICK,
    params: { repeats: REPEATS, probeEveryMs: PROBE_EVERY_MS, idleMs: IDLE_MS, exportEvents: EXPORT_EVENTS, fromSource: FROM_SOURCE },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage: sh('cat /proc/loadavg') },
    bun: Bun.version,
    lectr: { binary: FROM_SOURCE ? 'src/main.ts' : LECTR, commit: sh('git rev-parse --short HEAD 2>/dev/null'), dirty: sh('git status --porcelain -- src views 2>/dev/null') !== '' },
  },
  dataset: { events: dataset.events, cache: dataset.cache },
  settleSeconds,
  rssMiB: rss,
  firstViews,
  idle,
  reads: results,
  targets: {
    pages: { target: `every page (median) within ${GOAL_PAGE_MS} ms and ${GOAL_PAGE_BYTES / 1000} KB`, ok: pagesOk },
    stall: { target: `a proxied request sent during any read waits at most ${GOAL_ADDED_MS} ms longer than the median one sent between its repeats`, value: Math.max(...results.map((r) => r.addedMax)), ok: stallOk },
  },
  seconds: (Date.now() - t0) / 1000,
}
mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
const out = join(import.meta.dir, 'results', QUICK ? 'quick-read-stall.json' : `read-stall-${result.meta.date.slice(0, 16).replace(':', '')}.json`)
writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
const f = (x: number) => x.toFixed(1).padStart(7)
console.log(
  [
    '',
    `Lectr (${result.meta.lectr.commit}${result.meta.lectr.dirty ? '+changes' : ''}), Bun ${Bun.version}, ${dataset.events} events, load average ${result.meta.machine.loadAverage}${QUICK ? '  [QUICK run]' : ''}`,
    `Lectr's RSS: ${rss.afterStart} MiB idle after start, ${rss.afterFirstViews} MiB after the first views, ${rss.atEnd} MiB at the end`,
    `Proxied requests every ${PROBE_EVERY_MS} ms; idle: p50 ${idle.p50.toFixed(1)} ms, p99 ${idle.p99.toFixed(1)} ms, max ${idle.max.toFixed(1)} ms (${idle.n} requests)`,
    `${'read'.padEnd(28)} ${'ms'.padStart(7)} ${'KB'.padStart(7)}   during: ${'n'.padStart(5)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}   between: ${'p50'.padStart(7)} ${'max'.padStart(7)}   added: ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}`,
    ...results.map(
      (r) =>
        `${r.name.padEnd(28)} ${f(r.medianMs)} ${(r.bytes / 1000).toFixed(0).padStart(7)}           ${String(r.during.n).padStart(5)} ${f(r.during.p50)} ${f(r.during.p99)} ${f(r.during.max)}            ${f(r.idleBetween.p50)} ${f(r.idleBetween.max)}          ${f(r.addedP50)} ${f(r.addedP99)} ${f(r.addedMax)}`,
    ),
    `  ${pagesOk ? 'PASS' : 'FAIL'}  ${result.targets.pages.target}`,
    `  ${stallOk ? 'PASS' : 'FAIL'}  ${result.targets.stall.target}  (worst +${result.targets.stall.value.toFixed(1)} ms)`,
    `Every figure: ${out}  (${result.seconds.toFixed(0)} s)`,
  ].join('\n'),
)
process.exit(0)
