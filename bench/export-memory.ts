// Where an export's RSS growth goes (issue 21: ≤ 50 MB at 10M events), one component at a time. Each mode runs in
// a child process of its own over the cached big event log (read only; bench/events/distribution.ts builds it);
// this process samples the child's VmRSS every 20 ms from /proc, and for the HTTP modes is the client that reads
// the stream whole and drops the bytes. Every mode stops after EXPORT_MEM_EVENTS events (default 2,000,000), so
// the growth is read as a curve (RSS at each tenth of the way): a plateau is a working set, a slope a leak.
//
//   rows        keyset-paged `.all()` (200 rows, the export's query) on a read-only 2 MiB-cache connection; no format
//   rows-iter   one `.iterate()` over the same rows instead of pages
//   format      rows + toEvent + JSON.stringify + TextEncoder, per page (the export's step), no HTTP
//   format-gc   format with Bun.gc(true) every 50 pages: what is left is retained, the rest was garbage
//   serve-bytes Bun.serve + a pull ReadableStream (highWaterMark 0) of fixed 146 KB chunks: no SQLite, no format
//   serve-export Bun.serve + src/operations/export.ts's eventExportStream (the real stream, without Elysia)
//   lectr       Lectr itself (BENCH_LECTR, default dist/lectr) on EXPORT_MEM_DB (a writable copy of the log; Lectr
//               adds its org and key at start), GET /api/orgs/default/events/export; idle for EXPORT_MEM_IDLE_MS first
//
// Usage: bun bench/export-memory.ts [mode ...]   (default: every mode). Env: EXPORT_MEM_EVENTS, EXPORT_MEM_FORMAT
// (ndjson|csv, default ndjson), EXPORT_MEM_SMOL=1 (children run with bun --smol), EXPORT_MEM_BALLAST_MB (live objects
// kept by the serve-export child), EXPORT_MEM_GC_EVERY (Bun.gc every N steps there; EXPORT_MEM_GC_SYNC=1: Bun.gc(true)),
// EXPORT_MEM_DB and EXPORT_MEM_IDLE_MS (the lectr mode), BENCH_LECTR, EXP_* (passed to Lectr). Writes bench/results/export-memory-<date>.json.
import { Database } from 'bun:sqlite'
import { heapStats } from 'bun:jsc'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { cpuMs, memKiB } from './lib/proc'
import { ADMIN_TOKEN, lectrEnv } from './lib/lectr'

const ROOT = resolve(import.meta.dir, '..')
const EVENTS = Number(process.env.EXPORT_MEM_EVENTS ?? 2_000_000)
const FORMAT = (process.env.EXPORT_MEM_FORMAT ?? 'ndjson') as 'ndjson' | 'csv'
const MODES = ['rows', 'rows-iter', 'format', 'format-gc', 'serve-bytes', 'serve-export', 'lectr'] as const
type Mode = (typeof MODES)[number]
const CHUNK_BYTES = 146_000
const PAGE = 200

function cachedLog(): string {
  const dir = join(import.meta.dir, '.cache')
  const f = existsSync(dir) ? readdirSync(dir).filter((n) => /^events-10000000-g\d+-\w+\.db$/.test(n)) : []
  if (!f.length) throw new Error('no 10M-event log in bench/.cache: run bun bench/events/distribution.ts first')
  return join(dir, f[0]!)
}

// ---------------------------------------------------------------------------------------------------------
// The child: one mode.

async function child(mode: Mode, file: string): Promise<void> {
  const { toEvent } = await import('../src/events/columns')
  const { EVENT_COLUMNS } = await import('../src/storage/sqlite/event-columns')
  const { sqliteExportPages } = await import('../src/storage/sqlite/event-export')
  const { csvLine } = await import('../src/events/csv')
  const { eventExportStream } = await import('../src/operations/export')
  const db = new Database(file, { readonly: true, strict: true })
  db.exec('PRAGMA cache_size = -2048')
  // A live heap as big as Lectr's (its dashboard keeps ~31 days of roll-up groups as objects): JSC lets garbage grow
  // in proportion to what survived the last collection.
  const ballast: { a: number; b: string; c: number[] }[] = []
  for (let i = 0; i < Number(process.env.EXPORT_MEM_BALLAST_MB ?? 0) * 5000; i++) ballast.push({ a: i, b: `k${i}`, c: [i, i, i] })
  ;(globalThis as { ballast?: unknown }).ballast = ballast
  const gcEvery = Number(process.env.EXPORT_MEM_GC_EVERY ?? 0)
  let steps = 0
  const onStep = gcEvery ? () => ++steps % gcEvery === 0 && Bun.gc(process.env.EXPORT_MEM_GC_SYNC === '1') : undefined
  const encoder = new TextEncoder()
  const sql = (below: boolean) => `SELECT ${EVENT_COLUMNS}, 1 AS hit FROM events WHERE org_id = ? ${below ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`
  const report = (extra: Record<string, unknown>) => {
    const h = heapStats()
    const m = process.memoryUsage()
    console.log(
      `RESULT ${JSON.stringify({ ...extra, heapSizeMB: h.heapSize / 1e6, heapCapacityMB: h.heapCapacity / 1e6, extraMemoryMB: h.extraMemorySize / 1e6, objects: h.objectCount, rssMB: m.rss / 1e6 })}`,
    )
  }
  let nextTick = EVENTS / 10
  const tick = (n: number) => {
    if (n >= nextTick) (console.log(`AT ${n}`), (nextTick += EVENTS / 10))
  }

  if (mode === 'rows' || mode === 'format' || mode === 'format-gc') {
    console.log('READY')
    await Bun.sleep(700)
    let below: string | null = null
    let n = 0
    let bytes = 0
    let pages = 0
    while (n < EVENTS) {
      const rows = (below ? db.query(sql(true)).all('default', below, PAGE) : db.query(sql(false)).all('default', PAGE)) as any[]
      if (!rows.length) break
      below = rows[rows.length - 1].id
      n += rows.length
      pages++
      if (mode !== 'rows') {
        let out = ''
        for (const r of rows) {
          const e = toEvent(r)
          out += FORMAT === 'csv' ? csvLine(e) : `${JSON.stringify(e)}\n`
        }
        bytes += encoder.encode(out).byteLength
      }
      if (mode === 'format-gc' && pages % 50 === 0) Bun.gc(true)
      tick(n)
    }
    report({ events: n, bytes })
    return
  }
  if (mode === 'rows-iter') {
    console.log('READY')
    await Bun.sleep(700)
    let n = 0
    for (const _r of db.query(sql(false).replace('LIMIT ?', '')).iterate('default')) {
      if (++n >= EVENTS) break
      tick(n)
    }
    report({ events: n })
    return
  }
  // HTTP modes: the parent reads.
  const chunk = new Uint8Array(CHUNK_BYTES).fill(120)
  for (let i = 729; i < CHUNK_BYTES; i += 730) chunk[i] = 10
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      if (new URL(req.url).pathname === '/stats') {
        const h = heapStats()
        return Response.json({ heapSizeMB: h.heapSize / 1e6, heapCapacityMB: h.heapCapacity / 1e6, extraMemoryMB: h.extraMemorySize / 1e6, objects: h.objectCount })
      }
      if (mode === 'serve-bytes') {
        let sent = 0
        return new Response(
          new ReadableStream<Uint8Array>(
            {
              pull(c) {
                // A fresh copy each time, as the export makes a fresh buffer per page.
                c.enqueue(chunk.slice())
                sent += CHUNK_BYTES
                if (sent > EVENTS * 730) c.close()
              },
            },
            { highWaterMark: 0 },
          ),
        )
      }
      const filter = { provider: null, model: null, feature: null, task: null, status: null, statusClass: null, since: null, until: null }
      return new Response(eventExportStream(sqliteExportPages(db, 'default', filter, { onStep }), FORMAT))
    },
  })
  console.log(`READY ${server.port}`)
}

// ---------------------------------------------------------------------------------------------------------
// The parent: runs each mode, samples RSS, reads HTTP streams.

interface ModeResult {
  mode: Mode
  events: number
  bytes: number
  seconds: number
  rssBeforeMiB: number
  rssPeakMiB: number
  growthMB: number
  /** RSS growth (MB) when 10%, 20%, ... of the events had passed */
  curveMB: number[]
  child: Record<string, unknown> | null
}

async function runMode(mode: Mode, file: string): Promise<ModeResult> {
  const cmd = [process.execPath, ...(process.env.EXPORT_MEM_SMOL === '1' ? ['--smol'] : []), import.meta.path, '--child', mode, file]
  const lectrDb = process.env.EXPORT_MEM_DB
  if (mode === 'lectr' && !lectrDb) throw new Error('the lectr mode needs EXPORT_MEM_DB: a copy of the big log it may write to')
  const proc =
    mode === 'lectr'
      ? Bun.spawn([resolve(process.env.BENCH_LECTR ?? join(ROOT, 'dist/lectr'))], {
          cwd: ROOT,
          stdout: 'pipe',
          stderr: 'ignore',
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '/tmp',
            ...lectrEnv(9, lectrDb!),
            LECTR_RETENTION_DAYS: '36500',
            // EXP_* reach Lectr: flags of an experiment build (BENCH_LECTR)
            ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('EXP_')) as [string, string][]),
          },
        })
      : Bun.spawn(cmd, { cwd: ROOT, stdout: 'pipe', stderr: 'inherit', env: { ...process.env } })
  const lines: string[] = []
  let buf = ''
  const curve: number[] = []
  let before = 0
  let peak = 0
  const sample = () => {
    const r = memKiB(proc.pid).rss
    if (r > peak) peak = r
    return r
  }
  const pump = (async () => {
    const dec = new TextDecoder()
    for await (const c of proc.stdout as ReadableStream<Uint8Array>) {
      buf += dec.decode(c, { stream: true })
      let i
      while ((i = buf.indexOf('\n')) !== -1) {
        const l = buf.slice(0, i)
        buf = buf.slice(i + 1)
        lines.push(l)
        const m = mode === 'lectr' && !lines.some((x) => x.startsWith('READY')) ? l.match(/listening on \S+:(\d+)/) : null
        if (m) lines.push(`READY ${m[1]}`)
        if (l.startsWith('AT ') && before) curve.push(((sample() - before) * 1024) / 1e6)
      }
    }
  })()
  while (!lines.some((l) => l.startsWith('READY'))) {
    if (proc.exitCode !== null) throw new Error(`${mode} child exited ${proc.exitCode}`)
    await Bun.sleep(20)
  }
  await Bun.sleep(500)
  if (mode === 'lectr') {
    // Whatever Lectr does by itself after start, apart from the export.
    const idle0 = memKiB(proc.pid).rss
    const settled = await settle(proc.pid, Number(process.env.EXPORT_MEM_IDLE_MS ?? 90_000))
    console.error(`lectr idle: RSS ${(idle0 / 1024).toFixed(0)} -> ${(memKiB(proc.pid).rss / 1024).toFixed(0)} MiB; CPU-idle after ${(settled / 1000).toFixed(1)} s`)
  }
  before = memKiB(proc.pid).rss
  peak = before
  const sampler = setInterval(sample, 20)
  const t0 = performance.now()
  let bytes = 0
  let events = 0
  let childStats: Record<string, unknown> | null = null
  const port = Number(lines.find((l) => l.startsWith('READY'))!.split(' ')[1] ?? 0)
  if (port) {
    const res = await fetch(`http://127.0.0.1:${port}/${mode === 'lectr' ? `api/orgs/default/events/export?format=${FORMAT}` : ''}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    const reader = res.body!.getReader()
    let nextTick = EVENTS / 10
    for (;;) {
      const r = await reader.read()
      if (r.done) break
      bytes += r.value.byteLength
      for (let i = r.value.indexOf(10); i !== -1; i = r.value.indexOf(10, i + 1)) events++
      if (events >= nextTick) (curve.push(((sample() - before) * 1024) / 1e6), (nextTick += EVENTS / 10))
      if (events >= EVENTS) {
        await reader.cancel()
        break
      }
    }
    if (mode !== 'lectr') childStats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as Record<string, unknown>
    proc.kill()
  }
  await proc.exited
  await pump
  clearInterval(sampler)
  const seconds = (performance.now() - t0) / 1000
  const res = lines.find((l) => l.startsWith('RESULT '))
  if (res) {
    childStats = JSON.parse(res.slice(7))
    events = Number(childStats!.events)
    bytes = Number(childStats!.bytes ?? 0)
  }
  return { mode, events, bytes, seconds, rssBeforeMiB: before / 1024, rssPeakMiB: peak / 1024, growthMB: ((peak - before) * 1024) / 1e6, curveMB: curve.map((x) => Math.round(x)), child: childStats }
}

/** Waits until `pid` has used under 20 ms of CPU for 2 s running (its start-up work done), at most `maxMs`; the ms waited. */
async function settle(pid: number, maxMs: number): Promise<number> {
  const t0 = performance.now()
  let quiet = 0
  let last = cpuMs(pid)
  while (quiet < 4 && performance.now() - t0 < maxMs) {
    await Bun.sleep(500)
    const now = cpuMs(pid)
    quiet = now - last < 20 ? quiet + 1 : 0
    last = now
  }
  return performance.now() - t0
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as Mode, process.argv[4]!)
} else {
  const file = cachedLog()
  const modes = (process.argv.slice(2).length ? process.argv.slice(2) : MODES) as Mode[]
  const results: ModeResult[] = []
  for (const m of modes) {
    const r = await runMode(m, file)
    results.push(r)
    console.error(
      `${m.padEnd(13)} ${r.events} events ${(r.bytes / 1e6).toFixed(0)} MB ${r.seconds.toFixed(1)} s  RSS ${r.rssBeforeMiB.toFixed(0)} -> ${r.rssPeakMiB.toFixed(0)} MiB (+${r.growthMB.toFixed(1)} MB)  curve ${r.curveMB.join(' ')}  ${JSON.stringify(r.child)}`,
    )
  }
  const date = new Date().toISOString()
  const load = (await Bun.file('/proc/loadavg').text()).trim()
  mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
  const out = join(import.meta.dir, 'results', `export-memory-${date.slice(0, 19).replace(/:/g, '')}.json`)
  writeFileSync(out, JSON.stringify({ meta: { date, bun: Bun.version, loadAverage: load, events: EVENTS, format: FORMAT, smol: process.env.EXPORT_MEM_SMOL === '1', ballastMB: Number(process.env.EXPORT_MEM_BALLAST_MB ?? 0), gcEvery: Number(process.env.EXPORT_MEM_GC_EVERY ?? 0), lectr: process.env.BENCH_LECTR ?? null, exp: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('EXP_'))) }, results }, null, 2) + '\n')
  console.error(`load average ${load}; every figure: ${out}`)
}
