// Where Lectr spends its CPU under load: runs Lectr from source (bun --cpu-prof src/main.ts) against the mock,
// loads it with wrk (or streams), stops it, and prints the hottest functions (self and inclusive time).
// Usage: bun bench/profile.ts [seconds=10] [connections=32] [--stream]   (profile kept in bench/results/)
// LECTR_EVENT_LOG=0 profiles without the event log.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CHAT_REQUEST, LECTR_READY, lectrEnv } from './lib/lectr'
import { startChild } from './lib/proc'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const STREAM = process.argv.includes('--stream')
const SECONDS = Number(args[0] ?? 10)
const CONNS = Number(args[1] ?? 32)
// BENCH_SRC: another source tree (a copy with an experiment in it), default this repository.
const ROOT = resolve(process.env.BENCH_SRC ?? join(import.meta.dir, '..'))
const BUN = process.execPath
const dir = mkdtempSync(join(tmpdir(), 'lectr-prof-'))
const outDir = join(import.meta.dir, 'results')
mkdirSync(outDir, { recursive: true })
const body = join(dir, 'body.json')
const request = CHAT_REQUEST
writeFileSync(body, JSON.stringify(request))

// LECTR_* (and EXP_* flags of an experiment tree) reach the profiled Lectr.
const passThrough = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(LECTR_|EXP_)/.test(k)) as [string, string][])
const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const lectr = await startChild({
  name: 'lectr',
  cmd: [BUN, '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250', join(ROOT, 'src', 'main.ts')],
  cwd: dir,
  // BUN_CONFIG_MAX_HTTP_REQUESTS set: Lectr would otherwise re-execute itself without the profiler's flags.
  env: { BUN_CONFIG_MAX_HTTP_REQUESTS: '4096', ...lectrEnv(mock.port, join(dir, 'lectr.db')), ...passThrough },
  ready: LECTR_READY,
})
const headers = { 'x-lectr-key': lectr.match[2], authorization: 'Bearer sk-prof', 'x-lectr-feature': 'bench', 'x-lectr-task': 'generation' }
const target = `http://127.0.0.1:${lectr.port}/v1/chat/completions`
if (STREAM) {
  const p = Bun.spawn([BUN, join(import.meta.dir, 'stream-client.ts'), JSON.stringify({ url: target, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }), concurrency: CONNS, rounds: Math.max(1, Math.round(SECONDS / 1.4)), expectDeltas: 64 })], { stdout: 'pipe', env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' } })
  const j = JSON.parse((await new Response(p.stdout).text()).trim().split('\n').pop()!)
  console.log(`${j.streams} streams, ${j.errors} errors`)
} else {
  const w = Bun.spawn(['wrk', '-t1', `-c${CONNS}`, `-d${SECONDS}s`, '-s', join(import.meta.dir, 'wrk', 'chat.lua'), target], {
    env: { ...process.env, BENCH_BODY_FILE: body, BENCH_HEADERS: Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n') },
    stdout: 'pipe',
  })
  const line = (await new Response(w.stdout).text()).split('\n').find((l) => l.startsWith('WRKJSON '))!
  const j = JSON.parse(line.slice(8))
  console.log(`${(j.requests / (j.duration_us / 1e6)).toFixed(0)} req/s at c=${CONNS} (under the profiler), p50 ${j.p50} us`)
}
await lectr.stop()
await mock.stop()

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
if (!file) throw new Error('no profile written')
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'))
writeFileSync(join(outDir, 'lectr.cpuprofile'), JSON.stringify(prof))
type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
const nodes = new Map<number, Node>(prof.nodes.map((n: Node) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of prof.nodes as Node[]) for (const c of n.children ?? []) parent.set(c, n.id)
const self = new Map<number, number>()
for (const s of prof.samples as number[]) self.set(s, (self.get(s) ?? 0) + 1)
const total = (prof.samples as number[]).length
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(ROOT + '/', '').replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber + 1}`
const selfBy = new Map<string, number>()
const inclBy = new Map<string, number>()
for (const [id, count] of self) {
  selfBy.set(label(nodes.get(id)!), (selfBy.get(label(nodes.get(id)!)) ?? 0) + count)
  const seen = new Set<string>()
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const l = label(nodes.get(x)!)
    if (!seen.has(l)) inclBy.set(l, (inclBy.get(l) ?? 0) + count), seen.add(l)
  }
}
const top = (m: Map<string, number>, n: number) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
console.log(`\nself time (${total} samples)\n${top(selfBy, 30)}\n\ninclusive time\n${top(inclBy, 45)}\n\nprofile: ${join(outDir, 'lectr.cpuprofile')}`)
process.exit(0)
