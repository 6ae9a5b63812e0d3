// `make bench-soak`: no memory growth (issue 7). Lectr (the compiled binary, event log on) under 5 minutes of
// load against the mock: wrk at 32 connections plus 32 concurrent streams, in one-minute legs. RSS is read at
// idle after the first minute and again after the fifth; the second must be within 10% of the first.
// Writes bench/results/soak.json. Env: BENCH_SOAK_MINUTES (default 5), BENCH_LECTR.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Database } from 'bun:sqlite'
import { CHAT_REQUEST, LECTR_READY, lectrEnv } from './lib/lectr'
import { cpuMs, memKiB, startChild } from './lib/proc'

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 5)
const IDLE_SECONDS = 15
const ROOT = resolve(import.meta.dir, '..')
const LECTR = resolve(process.env.BENCH_LECTR ?? join(ROOT, 'dist/lectr'))
const BUN = process.execPath
const t0 = Date.now()
const say = (l: string) => console.error(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${l}`)
const scratch = mkdtempSync(join(tmpdir(), 'lectr-soak-'))
const bodyFile = join(scratch, 'body.json')
const request = CHAT_REQUEST
writeFileSync(bodyFile, JSON.stringify(request))

const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const db = join(scratch, 'lectr.db')
const lectr = await startChild({
  name: 'lectr',
  cmd: [LECTR],
  cwd: scratch,
  env: lectrEnv(mock.port, db),
  ready: LECTR_READY,
})
const key = lectr.match[2]
const target = `http://127.0.0.1:${lectr.port}/v1/chat/completions`
const headers = { 'x-lectr-key': key, authorization: 'Bearer sk-soak', 'x-lectr-feature': 'soak' }

const samples: { t: number; rssKiB: number; phase: string }[] = []
const sample = (phase: string) => samples.push({ t: (Date.now() - t0) / 1000, rssKiB: memKiB(lectr.pid).rss, phase })
const sampler = setInterval(() => sample('load'), 5000)

async function leg(seconds: number): Promise<{ requests: number; errors: number; streams: number; streamErrors: number }> {
  const w = Bun.spawn(['wrk', '-t1', '-c32', `-d${seconds}s`, '--timeout', '10s', '-s', join(import.meta.dir, 'wrk', 'chat.lua'), target], {
    env: { ...process.env, BENCH_BODY_FILE: bodyFile, BENCH_HEADERS: Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n') },
    stdout: 'pipe',
  })
  const rounds = Math.max(1, Math.floor(seconds / 1.4))
  const s = Bun.spawn(
    [BUN, join(import.meta.dir, 'stream-client.ts'), JSON.stringify({
      url: target,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
      concurrency: 32,
      rounds,
      expectDeltas: 64,
    })],
    { stdout: 'pipe', env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' } },
  )
  const [wout, sout] = await Promise.all([new Response(w.stdout).text(), new Response(s.stdout).text()])
  const wj = JSON.parse(wout.split('\n').find((l) => l.startsWith('WRKJSON '))!.slice(8))
  const sj = JSON.parse(sout.trim().split('\n').pop()!)
  return { requests: wj.requests, errors: wj.connect + wj.read + wj.write + wj.status + wj.timeout, streams: sj.streams, streamErrors: sj.errors }
}

async function idle(): Promise<number> {
  await Bun.sleep(IDLE_SECONDS * 1000)
  sample('idle')
  return memKiB(lectr.pid).rss
}

const idleAtStart = memKiB(lectr.pid).rss
const legs: Awaited<ReturnType<typeof leg>>[] = []
say(`Lectr idle at start: ${(idleAtStart / 1024).toFixed(1)} MiB; minute 1 of load`)
legs.push(await leg(60))
const afterFirst = await idle()
say(`idle after minute 1: ${(afterFirst / 1024).toFixed(1)} MiB; ${MINUTES - 1} more minutes of load`)
for (let m = 1; m < MINUTES; m++) {
  legs.push(await leg(60))
  say(`minute ${m + 1}: RSS ${(memKiB(lectr.pid).rss / 1024).toFixed(1)} MiB under load`)
}
const afterLast = await idle()
clearInterval(sampler)
const cpu = cpuMs(lectr.pid)
const hwm = memKiB(lectr.pid).hwm
await lectr.stop()
await mock.stop()
const d = new Database(db, { readonly: true })
const events = (d.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
d.close()
rmSync(scratch, { recursive: true, force: true })

const growth = afterLast / afterFirst - 1
const result = {
  date: new Date().toISOString(),
  minutes: MINUTES,
  idleAtStartKiB: idleAtStart,
  idleAfterFirstMinuteKiB: afterFirst,
  idleAfterLastMinuteKiB: afterLast,
  growth,
  ok: Math.abs(growth) <= 0.1,
  peakRssKiB: hwm,
  cpuSeconds: cpu / 1000,
  requests: legs.reduce((n, l) => n + l.requests, 0),
  errors: legs.reduce((n, l) => n + l.errors, 0),
  streams: legs.reduce((n, l) => n + l.streams, 0),
  streamErrors: legs.reduce((n, l) => n + l.streamErrors, 0),
  eventsRecorded: events,
  legs,
  samples,
}
mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
writeFileSync(join(import.meta.dir, 'results', 'soak.json'), JSON.stringify(result, null, 2) + '\n')
console.log(
  [
    `Soak: ${MINUTES} min of load on Lectr (wrk c=32 + 32 concurrent streams): ${result.requests} requests, ${result.streams} streams, ${result.errors + result.streamErrors} errors, ${events} events recorded`,
    `RSS at idle: start ${(idleAtStart / 1024).toFixed(1)} MiB, after minute 1 ${(afterFirst / 1024).toFixed(1)} MiB, after minute ${MINUTES} ${(afterLast / 1024).toFixed(1)} MiB (${(growth * 100).toFixed(1)}%), peak ${(hwm / 1024).toFixed(1)} MiB`,
    `${result.ok ? 'PASS' : 'FAIL'}  RSS after ${MINUTES} minutes, at idle, within 10% of RSS after the first minute`,
    `Every figure: ${join(import.meta.dir, 'results', 'soak.json')}`,
  ].join('\n'),
)
process.exit(0)
