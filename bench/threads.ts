// Where each variant's CPU goes, thread by thread (user and system time per request), under the same wrk load as
// `make bench` at 32 connections: the floor, the floor with its upstream client on the JavaScript thread
// (`servers/floor-socket.ts`: what Bun's fetch costs in hand-offs to its HTTP thread) and Lectr (the compiled binary),
// taking turns in interleaved rounds; medians of the rounds.
// Usage: bun bench/threads.ts [seconds=5] [rounds=3]   (needs dist/lectr and wrk)
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { LECTR_READY, lectrEnv } from './lib/lectr'
import { median, startChild, threadTimes, type Child } from './lib/proc'
import { runWrk } from './lib/wrk'

const SECONDS = Number(process.argv[2] ?? 5)
const ROUNDS = Number(process.argv[3] ?? 3)
const BUN = process.execPath
const LECTR = resolve(process.env.BENCH_LECTR ?? join(import.meta.dir, '..', 'dist', 'lectr'))
const dir = mkdtempSync(join(tmpdir(), 'lectr-threads-'))

/** CPU time in ms per thread name and kind (user, system), summed over the process's threads. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const t of threadTimes(pid)) {
    out.set(`${t.name} user`, (out.get(`${t.name} user`) ?? 0) + t.userMs)
    out.set(`${t.name} system`, (out.get(`${t.name} system`) ?? 0) + t.systemMs)
  }
  return out
}

const load = (c: Child, headers: Record<string, string>, seconds: number) =>
  runWrk({ url: `http://127.0.0.1:${c.port}/v1/chat/completions`, headers, conns: 32, seconds, pid: c.pid, scratch: dir })

const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const variants = [
  { name: 'floor', cmd: [BUN, join(import.meta.dir, 'servers', 'floor.ts'), '0'], ready: /floor listening on (\d+)/, lectr: false },
  { name: 'floor-socket', cmd: [BUN, join(import.meta.dir, 'servers', 'floor-socket.ts'), '0'], ready: /floor listening on (\d+)/, lectr: false },
  { name: 'lectr', cmd: [LECTR], ready: LECTR_READY, lectr: true },
]
const running: { name: string; child: Child; headers: Record<string, string>; rps: number[]; perThread: Map<string, number[]> }[] = []
for (const v of variants) {
  const child = await startChild({
    name: v.name,
    cmd: v.cmd,
    cwd: dir,
    // BUN_CONFIG_MAX_HTTP_REQUESTS set, so that Lectr serves from the process started here (no re-exec).
    env: { UPSTREAM: `http://127.0.0.1:${mock.port}`, BUN_CONFIG_MAX_HTTP_REQUESTS: '4096', ...lectrEnv(mock.port, join(dir, `${v.name}.db`)) },
    ready: v.ready,
  })
  const headers: Record<string, string> = { authorization: 'Bearer sk-bench' }
  if (v.lectr) headers['x-lectr-key'] = child.match[2]!
  await load(child, headers, 2)
  running.push({ name: v.name, child, headers, rps: [], perThread: new Map() })
}
for (let round = 0; round < ROUNDS; round++) {
  for (const v of running) {
    const before = threadCpu(v.child.pid)
    const r = await load(v.child, v.headers, SECONDS)
    const after = threadCpu(v.child.pid)
    v.rps.push(r.rps)
    for (const [k, ms] of after) {
      const list = v.perThread.get(k) ?? []
      list.push(((ms - (before.get(k) ?? 0)) * 1000) / r.requests)
      v.perThread.set(k, list)
    }
  }
}
for (const v of running) {
  const rows = [...v.perThread].map(([k, us]) => [k, median(us)] as const).filter(([, us]) => us >= 0.1).sort((a, b) => b[1] - a[1])
  const total = rows.reduce((n, [, us]) => n + us, 0)
  console.log(`${v.name}: ${Math.round(median(v.rps))} req/s at c=32, ${total.toFixed(1)} us of CPU per request (medians of ${ROUNDS} rounds)`)
  for (const [k, us] of rows) console.log(`  ${k.padEnd(24)} ${us.toFixed(1).padStart(6)} us/request`)
  await v.child.stop()
}
await mock.stop()
process.exit(0)
