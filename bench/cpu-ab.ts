// CPU per request and requests/s at 32 connections of source trees of Lectr against the floor, side by side: every
// variant runs at once (fresh processes, one mock), and they take turns in rounds whose order rotates, so that drift
// on a shared machine hits them alike. Ratios to the floor are taken within each round, then their median.
// Usage: [TOGETHER=1] bun bench/cpu-ab.ts [seconds=3] [rounds=3] name=SRC_ROOT[:ENV=VALUE,...] ...
// e.g.   bun bench/cpu-ab.ts 3 3 base=../base base-off=../base:LECTR_EVENT_LOG=0 new=. new-off=.:LECTR_EVENT_LOG=0
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { LECTR_READY, lectrEnv } from './lib/lectr'
import { median, startChild, threadTimes, type Child } from './lib/proc'
import { runWrk } from './lib/wrk'

const [secondsArg, roundsArg, ...specs] = process.argv.slice(2)
const SECONDS = Number(secondsArg ?? 3)
const ROUNDS = Number(roundsArg ?? 3)
const BUN = process.execPath
const TOGETHER = process.env.TOGETHER === '1'
const dir = mkdtempSync(join(tmpdir(), 'lectr-cpu-ab-'))

interface Variant { name: string; child: Child; headers: Record<string, string>; rps: number[]; cpu: number[]; ratio: number[]; cpuRatio: number[]; threads: Map<string, number[]> }

/** CPU time in ms by thread: the JavaScript thread (`js`, the process's first), else by thread name (numbers dropped). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const t of threadTimes(pid)) {
    const name = t.main ? 'js' : t.name.replace(/[0-9]+/g, '#')
    out.set(name, (out.get(name) ?? 0) + t.userMs + t.systemMs)
  }
  return out
}

const load = (c: Child, headers: Record<string, string>, seconds: number) =>
  runWrk({ url: `http://127.0.0.1:${c.port}/v1/chat/completions`, headers, conns: 32, seconds, pid: c.pid, scratch: dir })

const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const variants: Variant[] = []
const floor = await startChild({ name: 'floor', cmd: [BUN, join(import.meta.dir, 'servers', 'floor.ts'), '0'], env: { UPSTREAM: `http://127.0.0.1:${mock.port}` }, ready: /floor listening on (\d+)/ })
variants.push({ name: 'floor', child: floor, headers: { authorization: 'Bearer sk-bench-provider-key' }, rps: [], cpu: [], ratio: [], cpuRatio: [], threads: new Map() })
for (const spec of specs) {
  const [name, rest] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)]
  const [root, envList] = rest.split(':')
  const env = Object.fromEntries((envList ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]))
  const child = await startChild({
    name,
    cmd: [BUN, join(resolve(root!), 'src', 'main.ts')],
    cwd: mkdtempSync(join(dir, `${name}-`)),
    // BUN_CONFIG_MAX_HTTP_REQUESTS set, so that Lectr serves from the process started here (no re-exec).
    env: { BUN_CONFIG_MAX_HTTP_REQUESTS: '4096', ...lectrEnv(mock.port, join(dir, `${name}.db`)), ...env },
    ready: LECTR_READY,
  })
  const headers = { 'x-lectr-key': child.match[2]!, 'x-lectr-feature': 'bench', 'x-lectr-task': 'generation', authorization: 'Bearer sk-bench-provider-key' }
  variants.push({ name, child, headers, rps: [], cpu: [], ratio: [], cpuRatio: [], threads: new Map() })
}
// Warm-up: compiled code is measured, as in a server that has been up for a while. 5 s, not 2: on a loaded machine
// the optimising compiler was still at work on the request path's largest functions after 2 s (up to 1 s for one).
for (const v of variants) await load(v.child, v.headers, 5)
for (let round = 0; round < ROUNDS; round++) {
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!)
  const got = new Map<Variant, { rps: number; cpu: number }>()
  const measure = async (v: Variant) => {
    const threadsBefore = threadCpu(v.child.pid)
    const r = await load(v.child, v.headers, SECONDS)
    const cpu = r.cpuUsPerRequest
    for (const [k, ms] of threadCpu(v.child.pid)) {
      const list = v.threads.get(k) ?? []
      list.push(((ms - (threadsBefore.get(k) ?? 0)) * 1000) / r.requests)
      v.threads.set(k, list)
    }
    if (r.errorDetail.status) console.log(`  ${v.name}: ${r.errorDetail.status} answers not 2xx/3xx`)
    got.set(v, { rps: r.rps, cpu })
  }
  // TOGETHER=1: every variant loaded at the same time (each at 32 connections), so that they share the machine's
  // state; requests/s then compare CPU per request, not throughput alone.
  if (TOGETHER) await Promise.all(order.map(measure))
  else for (const v of order) await measure(v)
  const f = got.get(variants[0]!)!
  const line: string[] = []
  for (const v of variants) {
    const g = got.get(v)!
    v.rps.push(g.rps)
    v.cpu.push(g.cpu)
    v.ratio.push(g.rps / f.rps)
    v.cpuRatio.push(g.cpu / f.cpu)
    line.push(`${v.name} ${Math.round(g.rps)}/s ${g.cpu.toFixed(1)}us`)
  }
  console.log(`round ${round + 1}: ${line.join(' | ')}`)
}
console.log(`\nmedians of ${ROUNDS} rounds of ${SECONDS} s at 32 connections (ratios taken within each round)`)
for (const v of variants) {
  console.log(
    `${v.name.padEnd(12)} ${String(Math.round(median(v.rps))).padStart(6)} req/s (${median(v.ratio).toFixed(3)}x floor; rounds ${v.ratio.map((r) => r.toFixed(2)).join(' ')})  ` +
      `${median(v.cpu).toFixed(1).padStart(6)} us CPU/request (${median(v.cpuRatio).toFixed(3)}x floor)`,
  )
}
console.log('\nus of CPU per request by thread (medians)')
for (const v of variants) {
  const rows = [...v.threads].map(([k, us]) => [k, median(us)] as const).filter(([, us]) => us >= 0.5).sort((a, b) => b[1] - a[1])
  console.log(`${v.name.padEnd(12)} ${rows.map(([k, us]) => `${k} ${us.toFixed(1)}`).join(', ')}`)
}
for (const v of variants) await v.child.stop()
await mock.stop()
process.exit(0)
