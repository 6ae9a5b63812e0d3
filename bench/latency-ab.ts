// Added latency at one connection, A/B: sequential requests that alternate between the variants one request at a
// time, so that drift on a shared machine (which moves whole wrk rounds by several percent) falls on every variant
// alike. Used to judge changes to the hot path that are too small for `make bench` to see.
// Usage: bun bench/latency-ab.ts [requests=3000] NAME=CMD [NAME=CMD ...]
//   CMD starts a Lectr (e.g. `dist/lectr`, or `bun /path/to/other/tree/src/main.ts`); the floor and the mock are
//   always there. Prints p50 and p90 per variant and the p50 added over the mock.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CHAT_REQUEST, LECTR_READY, lectrEnv } from './lib/lectr'
import { median, percentile, startChild, type Child } from './lib/proc'

const args = process.argv.slice(2)
const N = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 3000
const BUN = process.execPath
const dir = mkdtempSync(join(tmpdir(), 'lectr-latency-ab-'))
const body = JSON.stringify(CHAT_REQUEST)

interface Variant { name: string; child: Child; headers: Record<string, string>; ms: number[] }
const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const floor = await startChild({ name: 'floor', cmd: [BUN, join(import.meta.dir, 'servers', 'floor.ts'), '0'], env: { UPSTREAM: `http://127.0.0.1:${mock.port}` }, ready: /floor listening on (\d+)/ })
const json = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' }
const variants: Variant[] = [
  { name: 'mock', child: mock, headers: json, ms: [] },
  { name: 'floor', child: floor, headers: json, ms: [] },
]
for (const arg of args) {
  const [name, cmd] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
  const d = mkdtempSync(join(dir, `${name}-`))
  // Paths are the caller's: each Lectr runs in a directory of its own.
  const words = cmd.split(' ').map((w) => (existsSync(w) ? resolve(w) : w))
  const child = await startChild({
    name,
    cmd: words,
    cwd: d,
    env: lectrEnv(mock.port, join(d, 'lectr.db')),
    ready: LECTR_READY,
  })
  variants.push({ name, child, headers: { ...json, 'x-lectr-key': child.match[2]!, 'x-lectr-feature': 'bench', 'x-lectr-task': 'generation' }, ms: [] })
}

async function once(v: Variant): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(`http://127.0.0.1:${v.child.port}/v1/chat/completions`, { method: 'POST', headers: v.headers, body })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`${v.name} answered ${res.status}`)
  return performance.now() - t0
}
for (let i = 0; i < 2000; i++) for (const v of variants) await once(v) // warm-up, the same for all
for (let i = 0; i < N; i++) for (const v of variants) v.ms.push(await once(v))
const mockP50 = median(variants[0]!.ms)
const floorAdded = median(variants[1]!.ms) - mockP50
for (const v of variants) {
  const added = median(v.ms) - mockP50
  const ratio = v.name === 'mock' || v.name === 'floor' ? '' : `  (${(added / floorAdded).toFixed(2)}x the floor's)`
  console.log(`${v.name.padEnd(14)} p50 ${(median(v.ms) * 1000).toFixed(1).padStart(7)} us  p90 ${(percentile(v.ms, 90) * 1000).toFixed(0).padStart(6)} us  added ${(added * 1000).toFixed(1).padStart(6)} us${ratio}`)
}
for (const v of variants) await v.child.stop()
process.exit(0)
