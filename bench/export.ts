// `make bench-export`: the events export over the big event log (issue 21: 10M events; time, and the server's
// peak RSS growth ≤ 50 MB). The 10M-event database of bench/events (built once into bench/.cache by
// distribution.ts) is copied to a scratch directory; for each export a fresh Lectr (the compiled binary) is started
// on the copy, and a client reads GET /api/orgs/default/events/export?format=ndjson|csv whole, counting lines and
// discarding the bytes. Lectr's VmRSS is sampled every 20 ms from /proc; growth = peak - RSS just before the export,
// once Lectr's start-up work is done (CPU idle).
// Writes bench/results/export-<date>.json.
// Env: BENCH_EVENTS (default 10,000,000), BENCH_QUICK=1 (200,000 events), BENCH_EXPORT_RUNS (exports per format,
// default 1), BENCH_LECTR, BENCH_EXPORT_EVENTS (read only this many events of each export, then cancel; default all).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ADMIN_TOKEN, lectrEnv } from './lib/lectr'
import { cpuMs, memKiB, startChild } from './lib/proc'

const QUICK = process.env.BENCH_QUICK === '1'
const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? 1)
const LIMIT = Number(process.env.BENCH_EXPORT_EVENTS ?? Infinity)
const FORMATS = ['ndjson', 'csv'] as const
const GOAL_MB = 50
/** An export that takes longer is cut (the benchmark stops by itself). */
const EXPORT_TIMEOUT_MS = 20 * 60_000
const SAMPLE_MS = 20
const ROOT = resolve(import.meta.dir, '..')
const LECTR = resolve(process.env.BENCH_LECTR ?? join(ROOT, 'dist/lectr'))
const BUN = process.execPath
const t0 = Date.now()
const say = (l: string) => console.error(`[export ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${l}`)
const sh = (cmd: string) => Bun.spawnSync(['sh', '-c', cmd], { cwd: ROOT, stderr: 'pipe' }).stdout.toString().trim()

// 1. The big event log, as the model-distribution benchmark builds and caches it.
say('the event log: bench/events/distribution.ts (builds it into bench/.cache the first time)')
const dist = Bun.spawn([BUN, join(import.meta.dir, 'events', 'distribution.ts')], { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' })
const distOut = await new Response(dist.stdout).text()
if ((await dist.exited) !== 0) throw new Error(`distribution.ts failed: ${distOut.slice(-1000)}`)
const dataset = JSON.parse(distOut.trim().split('\n').pop()!) as { cache: string; events: number; bytes: number; built: { buildSeconds: number } | null }
say(`${dataset.events} events, ${(dataset.bytes / 1e9).toFixed(2)} GB${dataset.built ? `, built in ${dataset.built.buildSeconds.toFixed(0)} s` : ' (cached)'}`)

// 2. A copy, so Lectr (which adds its org, key and token at start) never changes the cached file.
const scratch = mkdtempSync(join(tmpdir(), 'lectr-bench-export-'))
const db = join(scratch, 'lectr.db')
let copyMs = performance.now()
copyFileSync(dataset.cache, db)
copyMs = performance.now() - copyMs
say(`copied to ${db} in ${(copyMs / 1000).toFixed(1)} s`)

interface ExportRun {
  format: (typeof FORMATS)[number]
  run: number
  status: number
  lines: number
  events: number
  complete: boolean
  bytes: number
  firstByteMs: number
  seconds: number
  eventsPerSec: number
  mbPerSec: number
  /** RSS just after Lectr said it listens, and how long until it went idle (when rssBefore is taken) */
  rssAtStartMiB: number
  settleSeconds: number
  rssBeforeMiB: number
  rssPeakMiB: number
  rssGrowthMB: number
  hwmBeforeMiB: number
  hwmAfterMiB: number
  rssAfterMiB: number
  lectrCpuSeconds: number
  /** this process's CPU (the client reading and counting lines): if it nears `seconds`, the client was the limit */
  clientCpuSeconds: number
  samples: number
}

/** Waits until `pid` has used under 20 ms of CPU in each of 4 half-seconds, at most 120 s; the seconds waited. */
async function settle(pid: number): Promise<number> {
  const start = performance.now()
  let quiet = 0
  let last = cpuMs(pid)
  while (quiet < 4 && performance.now() - start < 120_000) {
    await Bun.sleep(500)
    const now = cpuMs(pid)
    quiet = now - last < 20 ? quiet + 1 : 0
    last = now
  }
  return (performance.now() - start) / 1000
}

async function exportOnce(format: (typeof FORMATS)[number], run: number): Promise<ExportRun> {
  // Retention far out: the log spans 90 days up to when it was built, and pruning must not run during the export.
  const lectr = await startChild({
    name: `lectr-${format}`,
    cmd: [LECTR],
    cwd: scratch,
    // EXP_* reach Lectr: flags of an experiment build (BENCH_LECTR).
    env: { ...lectrEnv(9, db), LECTR_RETENTION_DAYS: '36500', ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('EXP_')) as [string, string][]) },
    ready: /listening on \S+:(\d+)/,
    timeoutMs: 120_000,
  })
  try {
    // Lectr reads the roll-ups into the dashboard's cache after it starts (seconds, here 8-30 s at 10M events, RSS
    // ~72 -> ~330 MiB): "before" is taken once that is done (CPU idle), so that the growth is the export's.
    const rssAtStart = memKiB(lectr.pid).rss
    const settleSeconds = await settle(lectr.pid)
    const before = memKiB(lectr.pid)
    const cpu0 = cpuMs(lectr.pid)
    const client0 = process.cpuUsage()
    let peak = before.rss
    let samples = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, memKiB(lectr.pid).rss)
      samples++
    }, SAMPLE_MS)
    const abort = AbortSignal.timeout(EXPORT_TIMEOUT_MS)
    const start = performance.now()
    const res = await fetch(`http://127.0.0.1:${lectr.port}/api/orgs/default/events/export?format=${format}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: abort,
    })
    let firstByteMs = NaN
    let bytes = 0
    let lines = 0
    const reader = res.body!.getReader()
    for (;;) {
      const r = await reader.read()
      if (r.done) break
      if (bytes === 0) firstByteMs = performance.now() - start
      const chunk = r.value
      bytes += chunk.byteLength
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
      if (lines >= LIMIT + (format === 'csv' ? 1 : 0)) {
        await reader.cancel()
        break
      }
    }
    const seconds = (performance.now() - start) / 1000
    clearInterval(sampler)
    const after = memKiB(lectr.pid)
    peak = Math.max(peak, after.rss)
    const lectrCpuSeconds = (cpuMs(lectr.pid) - cpu0) / 1000
    const client = process.cpuUsage(client0)
    // The generated feature and task names hold no line breaks: one line per event (and the CSV's header).
    const events = format === 'csv' ? lines - 1 : lines
    return {
      format,
      run,
      status: res.status,
      lines,
      events,
      complete: res.status === 200 && (Number.isFinite(LIMIT) ? events >= Math.min(dataset.events, LIMIT) : events === dataset.events),
      bytes,
      firstByteMs,
      seconds,
      eventsPerSec: events / seconds,
      mbPerSec: bytes / 1e6 / seconds,
      rssAtStartMiB: rssAtStart / 1024,
      settleSeconds,
      rssBeforeMiB: before.rss / 1024,
      rssPeakMiB: peak / 1024,
      rssGrowthMB: ((peak - before.rss) * 1024) / 1e6,
      hwmBeforeMiB: before.hwm / 1024,
      hwmAfterMiB: after.hwm / 1024,
      rssAfterMiB: after.rss / 1024,
      lectrCpuSeconds,
      clientCpuSeconds: (client.user + client.system) / 1e6,
      samples,
    }
  } finally {
    await lectr.stop()
  }
}

const runs: ExportRun[] = []
for (let run = 0; run < RUNS; run++) {
  // Alternate which format goes first, so neither always meets a colder OS page cache.
  const order = run % 2 === 0 ? FORMATS : ([...FORMATS].reverse() as typeof FORMATS[number][])
  for (const format of order) {
    say(`export ${format} (run ${run + 1}/${RUNS})`)
    const r = await exportOnce(format, run)
    runs.push(r)
    say(
      `  ${r.status} ${r.events} events${r.complete ? '' : ' (INCOMPLETE)'}, ${(r.bytes / 1e6).toFixed(0)} MB in ${r.seconds.toFixed(1)} s: ` +
        `${r.eventsPerSec.toFixed(0)} events/s, ${r.mbPerSec.toFixed(1)} MB/s; RSS ${r.rssBeforeMiB.toFixed(1)} -> peak ${r.rssPeakMiB.toFixed(1)} MiB (+${r.rssGrowthMB.toFixed(1)} MB), VmHWM ${r.hwmAfterMiB.toFixed(1)} MiB`,
    )
  }
}
rmSync(scratch, { recursive: true, force: true })

const ok = runs.every((r) => r.complete && r.rssGrowthMB <= GOAL_MB)
const result = {
  meta: {
    date: new Date().toISOString(),
    quick: QUICK,
    params: { runs: RUNS, formats: FORMATS, sampleMs: SAMPLE_MS, eventsPerExport: Number.isFinite(LIMIT) ? LIMIT : 'all' },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage: sh('cat /proc/loadavg'), memGiB: Math.round(Number(sh("awk '/MemTotal/ {print $2}' /proc/meminfo")) / 1048576) },
    bun: Bun.version,
    lectr: { binary: LECTR, version: sh(`${LECTR} --version`), commit: sh('git rev-parse --short HEAD 2>/dev/null'), dirty: sh('git status --porcelain -- src 2>/dev/null') !== '' },
  },
  dataset: { events: dataset.events, bytes: statSync(dataset.cache).size, cache: dataset.cache, built: dataset.built, copySeconds: copyMs / 1000 },
  runs,
  target: { target: `every export complete, Lectr's peak RSS growth <= ${GOAL_MB} MB`, value: Math.max(...runs.map((r) => r.rssGrowthMB)), ok },
  seconds: (Date.now() - t0) / 1000,
}
mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
// Dated, and kept in git (bench/.gitignore); a quick run's are not.
const out = join(import.meta.dir, 'results', QUICK ? 'quick-export.json' : `export-${result.meta.date.slice(0, 16).replace(':', '')}.json`)
writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
console.log(
  [
    '',
    `Lectr ${result.meta.lectr.version} (${result.meta.lectr.commit}${result.meta.lectr.dirty ? '+changes' : ''}), Bun ${Bun.version}, load average ${result.meta.machine.loadAverage}${QUICK ? '  [QUICK run]' : ''}`,
    `Export of ${dataset.events} events (a ${(result.dataset.bytes / 1e9).toFixed(2)} GB database), a fresh Lectr for each, read whole by a client that discards the bytes`,
    ...runs.map(
      (r) =>
        `  ${r.format.padEnd(6)} ${r.seconds.toFixed(1).padStart(6)} s  ${r.eventsPerSec.toFixed(0).padStart(7)} events/s  ${r.mbPerSec.toFixed(1).padStart(6)} MB/s  ${(r.bytes / 1e6).toFixed(0)} MB  ` +
        `first byte ${r.firstByteMs.toFixed(0)} ms  RSS +${r.rssGrowthMB.toFixed(1)} MB (${r.rssBeforeMiB.toFixed(0)} -> ${r.rssPeakMiB.toFixed(0)} MiB)  CPU: Lectr ${r.lectrCpuSeconds.toFixed(1)} s, client ${r.clientCpuSeconds.toFixed(1)} s  ${r.complete ? 'complete' : 'INCOMPLETE'}`,
    ),
    `  ${ok ? 'PASS' : 'FAIL'}  ${result.target.target}  (worst +${result.target.value.toFixed(1)} MB)`,
    `Every figure: ${out}  (${result.seconds.toFixed(0)} s)`,
  ].join('\n'),
)
process.exit(0)
