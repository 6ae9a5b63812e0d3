// `make bench`: Lectr side by side with the floor (a bare Bun passthrough) and the Portkey AI gateway, all
// pointed at the same fast mock provider, loaded in turn with wrk in interleaved rounds; then streaming (1 and
// 500 concurrent streams), the event writer's throughput and the model distribution over a 10M-event log.
// Prints one table and writes every figure to bench/results/latest.json.
//
// Env: BENCH_QUICK=1 (a smoke run: one short round, small event log), BENCH_EVENTS (events in the big log,
// default 10,000,000), BENCH_LECTR (binary, default dist/lectr), BENCH_PORTKEY_VERSION (default 1.15.2).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Database } from 'bun:sqlite'
import { CHAT_REQUEST, LECTR_READY, lectrEnv } from './lib/lectr'
import { cpuMs, freePort, median, memKiB, percentile, startChild, type Child } from './lib/proc'

const QUICK = process.env.BENCH_QUICK === '1'
const ROOT = resolve(import.meta.dir, '..')
const BUN = process.execPath
const LECTR = resolve(process.env.BENCH_LECTR ?? join(ROOT, 'dist/lectr'))
const PORTKEY_VERSION = process.env.BENCH_PORTKEY_VERSION ?? '1.15.2'
const PORTKEY_DIR = join(import.meta.dir, '.cache', 'portkey')
const PORTKEY_START = join(PORTKEY_DIR, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js')
const LUA = join(import.meta.dir, 'wrk', 'chat.lua')
const RESULTS = join(import.meta.dir, 'results', 'latest.json')
const P = QUICK
  ? { rounds: 1, seconds: 2, warmupSeconds: 1, sequentialStreams: 5, warmupStreams: 10, concurrentStreams: 500 }
  : { rounds: 5, seconds: 5, warmupSeconds: 2, sequentialStreams: 20, warmupStreams: 30, concurrentStreams: 500 }
const CONNS = [1, 32, 256] as const
const PROVIDER_KEY = 'sk-bench-provider-key'
const t0 = Date.now()
const say = (l: string) => console.error(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${l}`)

const STREAM_REQUEST = { ...CHAT_REQUEST, stream: true, stream_options: { include_usage: true } }
const EXPECTED_CONTENT = 'The capital of France is Paris. It has been the capital since the 10th century.'
const scratch = mkdtempSync(join(tmpdir(), 'lectr-bench-'))
const bodyFile = join(scratch, 'body.json')
writeFileSync(bodyFile, JSON.stringify(CHAT_REQUEST))

interface Variant {
  name: string
  child: Child
  url: string
  headers: Record<string, string>
  /** only these connection counts (default: all) */
  conns?: readonly number[]
  note?: string
}

// ---------------------------------------------------------------------------------------------------------
// Servers

function ensureWrk(): string | null {
  if (Bun.which('wrk')) return null
  say('wrk is missing: installing Debian\'s wrk')
  const r = Bun.spawnSync(['sh', '-c', 'apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)'])
  return Bun.which('wrk') ? null : `could not install wrk (exit ${r.exitCode}); it needs root and Debian's packages`
}

async function startMock(): Promise<Child> {
  return startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
}

async function startFloor(mock: Child, env: Record<string, string> = {}): Promise<Child> {
  return startChild({
    name: 'floor',
    cmd: [BUN, join(import.meta.dir, 'servers', 'floor.ts'), '0'],
    env: { UPSTREAM: `http://127.0.0.1:${mock.port}`, ...env },
    ready: /floor listening on (\d+)/,
  })
}

async function startLectr(name: string, mock: Child, env: Record<string, string> = {}): Promise<{ child: Child; key: string; db: string }> {
  const dir = mkdtempSync(join(scratch, `${name}-`))
  const db = join(dir, 'lectr.db')
  const c = await startChild({
    name,
    cmd: [LECTR],
    cwd: dir,
    env: { ...lectrEnv(mock.port, db), ...env },
    ready: LECTR_READY,
  })
  return { child: c, key: c.match[2], db }
}

function ensurePortkey(): string | null {
  if (existsSync(PORTKEY_START)) return null
  say(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into bench/.cache/portkey (npm; not a project dependency)`)
  mkdirSync(PORTKEY_DIR, { recursive: true })
  if (!existsSync(join(PORTKEY_DIR, 'package.json'))) writeFileSync(join(PORTKEY_DIR, 'package.json'), '{"private":true}\n')
  const r = Bun.spawnSync(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error', `@portkey-ai/gateway@${PORTKEY_VERSION}`], {
    cwd: PORTKEY_DIR,
    stderr: 'pipe',
  })
  if (!existsSync(PORTKEY_START)) return `npm install @portkey-ai/gateway@${PORTKEY_VERSION} failed (exit ${r.exitCode}): ${r.stderr.toString().slice(-500)}`
  return null
}

/** Portkey as its package documents it (`npx @portkey-ai/gateway` runs this file with node); `runtime` bun only as a fallback. */
async function startPortkey(runtime: 'node' | 'bun' = 'node'): Promise<Child> {
  const port = freePort()
  return startChild({
    name: runtime === 'node' ? 'portkey' : 'portkey-bun',
    cmd: [runtime === 'node' ? 'node' : BUN, PORTKEY_START, `--port=${port}`, '--headless'],
    cwd: PORTKEY_DIR,
    port,
    ready: /Ready for connections/,
    timeoutMs: 60_000,
  })
}

const portkeyHeaders = (mock: Child) => ({
  'x-portkey-provider': 'openai',
  'x-portkey-custom-host': `http://127.0.0.1:${mock.port}/v1`,
  authorization: `Bearer ${PROVIDER_KEY}`,
})
const lectrHeaders = (key: string) => ({
  'x-lectr-key': key,
  'x-lectr-feature': 'bench',
  'x-lectr-task': 'generation',
  authorization: `Bearer ${PROVIDER_KEY}`,
})
const url = (c: Child) => `http://127.0.0.1:${c.port}/v1/chat/completions`

/** Every variant must answer the same 200 with the mock's answer before it is measured. */
async function checkAnswers(v: Variant): Promise<string | null> {
  try {
    const res = await fetch(v.url, { method: 'POST', headers: { 'content-type': 'application/json', ...v.headers }, body: JSON.stringify(CHAT_REQUEST) })
    const text = await res.text()
    if (res.status !== 200) return `status ${res.status}: ${text.slice(0, 300)}`
    const j = JSON.parse(text)
    if (j.choices?.[0]?.message?.content !== EXPECTED_CONTENT || j.usage?.prompt_tokens !== 42) return `unexpected answer: ${text.slice(0, 300)}`
    return null
  } catch (err) {
    return `request failed: ${(err as Error).message}`
  }
}

// ---------------------------------------------------------------------------------------------------------
// wrk

interface WrkRun {
  round: number
  variant: string
  conns: number
  requests: number
  rps: number
  p50us: number
  p99us: number
  meanUs: number
  errors: number
  errorDetail: { connect: number; read: number; write: number; status: number; timeout: number }
  cpuMs: number
  cpuUsPerRequest: number
  mockCpuMs: number
}

async function wrk(v: Variant, conns: number, seconds: number, mock: Child, round: number): Promise<WrkRun> {
  const headers = Object.entries(v.headers).map(([k, val]) => `${k}: ${val}`).join('\n')
  const cpu0 = cpuMs(v.child.pid)
  const m0 = cpuMs(mock.pid)
  const p = Bun.spawn(['wrk', '-t1', `-c${conns}`, `-d${seconds}s`, '--timeout', '10s', '-s', LUA, v.url], {
    env: { ...process.env, BENCH_BODY_FILE: bodyFile, BENCH_HEADERS: headers },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const out = await new Response(p.stdout).text()
  await p.exited
  const cpu = cpuMs(v.child.pid) - cpu0
  const mockCpu = cpuMs(mock.pid) - m0
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '))
  if (!line) throw new Error(`wrk gave no result for ${v.name} c=${conns}:\n${out}\n${await new Response(p.stderr).text()}`)
  const j = JSON.parse(line.slice(8))
  const errors = j.connect + j.read + j.write + j.status + j.timeout
  return {
    round,
    variant: v.name,
    conns,
    requests: j.requests,
    rps: j.requests / (j.duration_us / 1e6),
    p50us: j.p50,
    p99us: j.p99,
    meanUs: j.mean,
    errors,
    errorDetail: { connect: j.connect, read: j.read, write: j.write, status: j.status, timeout: j.timeout },
    cpuMs: cpu,
    cpuUsPerRequest: j.requests ? (cpu * 1000) / j.requests : NaN,
    mockCpuMs: mockCpu,
  }
}

// ---------------------------------------------------------------------------------------------------------
// Streaming

interface StreamResult {
  streams: number
  complete: number
  errors: number
  errorSamples: string[]
  ttft: number[]
  total: number[]
  gaps: number[]
  maxOpen: number
  idleRss: number
  samples: { t: number; open: number; rss: number }[]
}

async function streams(v: Variant, concurrency: number, rounds: number, watch: boolean): Promise<StreamResult> {
  const opts = {
    url: v.url,
    headers: { 'content-type': 'application/json', ...v.headers },
    body: JSON.stringify(STREAM_REQUEST),
    concurrency,
    rounds,
    watchPid: watch ? v.child.pid : undefined,
    sampleMs: 20,
    expectDeltas: 64,
  }
  const p = Bun.spawn([BUN, join(import.meta.dir, 'stream-client.ts'), JSON.stringify(opts)], {
    // The client's own fetch must never queue (Bun caps concurrent fetches at 256 by default).
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const r = await lastJsonLine(p)
  if (r.value === undefined) throw new Error(`stream client failed for ${v.name} (exit ${r.code}): ${r.out.slice(-500)} ${await new Response(p.stderr).text()}`)
  return r.value as StreamResult
}

/** What a benchmark script printed last, as JSON (undefined when that is not JSON), with all it printed and its exit code. */
async function lastJsonLine(p: { stdout: ReadableStream<Uint8Array>; exited: Promise<number> }): Promise<{ value: unknown; out: string; code: number }> {
  const out = await new Response(p.stdout).text()
  const code = await p.exited
  try {
    return { value: JSON.parse(out.trim().split('\n').pop() ?? ''), out, code }
  } catch {
    return { value: undefined, out, code }
  }
}

function summarizeStreams(r: StreamResult) {
  const atMax = r.samples.filter((s) => s.open === Math.max(...r.samples.map((x) => x.open)))
  const openAtSample = atMax.length ? atMax[0].open : 0
  const rssAtMax = atMax.length ? Math.max(...atMax.map((s) => s.rss)) : NaN
  const peakRss = r.samples.length ? Math.max(...r.samples.map((s) => s.rss)) : NaN
  return {
    streams: r.streams,
    complete: r.complete,
    errors: r.errors + (r.streams - r.complete - r.errors > 0 ? r.streams - r.complete - r.errors : 0),
    errorSamples: r.errorSamples,
    ttftP50Ms: percentile(r.ttft, 50),
    ttftP99Ms: percentile(r.ttft, 99),
    ttftMaxMs: Math.max(...r.ttft),
    gapP50Ms: percentile(r.gaps, 50),
    gapP99Ms: percentile(r.gaps, 99),
    totalP50Ms: percentile(r.total, 50),
    maxOpen: r.maxOpen,
    idleRssKiB: r.idleRss,
    rssWithMostOpenKiB: rssAtMax,
    openAtThatSample: openAtSample,
    peakRssKiB: peakRss,
    rssPerOpenStreamKiB: openAtSample ? (rssAtMax - r.idleRss) / openAtSample : NaN,
  }
}

// ---------------------------------------------------------------------------------------------------------
// Event log scripts (separate processes: their heaps and disk work stay out of the proxy figures)

async function script(path: string, env: Record<string, string> = {}): Promise<any> {
  const p = Bun.spawn([BUN, path], { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'inherit' })
  const r = await lastJsonLine(p)
  return r.value === undefined ? { error: `exit ${r.code}: ${r.out.slice(-1000)}` } : r.value
}

// ---------------------------------------------------------------------------------------------------------

function sh(cmd: string): string {
  const r = Bun.spawnSync(['sh', '-c', cmd], { cwd: ROOT, stderr: 'pipe' })
  return r.stdout.toString().trim()
}

async function main() {
  const problems: string[] = []
  const wrkProblem = ensureWrk()
  if (wrkProblem) throw new Error(wrkProblem)
  if (!existsSync(LECTR)) throw new Error(`${LECTR} is missing: run make build`)
  const portkeyProblem = ensurePortkey()
  if (portkeyProblem) problems.push(`Portkey not measured: ${portkeyProblem}`)

  const meta = {
    date: new Date().toISOString(),
    quick: QUICK,
    params: P,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(Number(sh("awk '/MemTotal/ {print $2}' /proc/meminfo")) / 1048576) },
    bun: Bun.version,
    node: sh('node --version'),
    wrk: sh("wrk -v 2>&1 | head -1 | awk '{print $1, $2}'"),
    lectr: { binary: LECTR, version: sh(`${LECTR} --version`), commit: sh('git rev-parse --short HEAD 2>/dev/null'), dirty: sh('git status --porcelain -- src 2>/dev/null') !== '' },
    portkey: portkeyProblem ? null : PORTKEY_VERSION,
    request: CHAT_REQUEST,
  }

  // ----- 1. Non-streaming load -----
  say('starting the mock, the floor, Lectr (event log on and off) and Portkey')
  const mock = await startMock()
  const floor = await startFloor(mock)
  const lectr = await startLectr('lectr', mock)
  const lectrOff = await startLectr('lectr-nolog', mock, { LECTR_EVENT_LOG: '0' })
  let portkey: Child | null = null
  if (!portkeyProblem) {
    try {
      portkey = await startPortkey()
    } catch (err) {
      problems.push(`Portkey could not start: ${(err as Error).message.slice(0, 500)}`)
    }
  }
  const variants: Variant[] = [
    { name: 'mock', child: mock, url: url(mock), headers: { authorization: `Bearer ${PROVIDER_KEY}` } },
    { name: 'floor', child: floor, url: url(floor), headers: { authorization: `Bearer ${PROVIDER_KEY}` } },
    { name: 'lectr', child: lectr.child, url: url(lectr.child), headers: lectrHeaders(lectr.key) },
    { name: 'lectr-nolog', child: lectrOff.child, url: url(lectrOff.child), headers: lectrHeaders(lectrOff.key), conns: [1, 32] },
    ...(portkey ? [{ name: 'portkey', child: portkey, url: url(portkey), headers: portkeyHeaders(mock) }] : []),
  ]
  const answers: Record<string, string> = {}
  for (const v of variants) {
    const bad = await checkAnswers(v)
    answers[v.name] = bad ?? 'ok'
    if (bad) problems.push(`${v.name} does not answer like the mock: ${bad}`)
  }
  const lectrChecks = 1
  say(`warming up (${P.warmupSeconds}s at 32 connections each)`)
  const warm: Record<string, number> = {}
  // Errors in the warm-up count too: a variant must answer every request it is sent with a 200.
  const warmErrors: Record<string, number> = {}
  for (const v of variants) {
    const r = await wrk(v, 32, P.warmupSeconds, mock, -1)
    warm[v.name] = r.requests
    warmErrors[v.name] = r.errors
    if (r.errors) say(`warm-up: ${v.name} had ${r.errors} errors ${JSON.stringify(r.errorDetail)}`)
  }

  const runs: WrkRun[] = []
  for (let round = 0; round < P.rounds; round++) {
    for (const conns of CONNS) {
      // Rotate the order every round so drift (heat, page cache, other work on the machine) spreads evenly.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]).filter((v) => !v.conns || v.conns.includes(conns))
      for (const v of order) {
        const r = await wrk(v, conns, P.seconds, mock, round)
        runs.push(r)
        say(`round ${round + 1}/${P.rounds} c=${String(conns).padEnd(3)} ${v.name.padEnd(12)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${(r.p50us / 1000).toFixed(3)} ms  p99 ${(r.p99us / 1000).toFixed(3)} ms  errors ${r.errors}  cpu ${r.cpuUsPerRequest.toFixed(0)} us/req`)
      }
    }
  }
  const peakRss: Record<string, number> = {}
  for (const v of variants) peakRss[v.name] = memKiB(v.child.pid).hwm

  // Lectr must have recorded one event per request: stop it (SIGTERM writes every pending event) and count.
  const lectrSent = runs.filter((r) => r.variant === 'lectr').reduce((n, r) => n + r.requests, 0) + warm.lectr + lectrChecks
  for (const v of variants) await v.child.stop()
  const events = (() => {
    try {
      const db = new Database(lectr.db, { readonly: true })
      const n = (db.query('SELECT COUNT(*) AS n, SUM(status = 200) AS ok FROM events').get() as { n: number; ok: number })
      const rolled = (db.query('SELECT SUM(requests) AS n FROM rollups_hourly').get() as { n: number }).n
      // The rest, by status and error code: 499 lectr_client_gone is wrk closing its connections at the end of a run.
      const others = db.query("SELECT status || ' ' || COALESCE(error_code, '') AS kind, COUNT(*) AS n FROM events WHERE status != 200 GROUP BY 1").all() as { kind: string; n: number }[]
      db.close()
      return { completedRequests: lectrSent, events: n.n, status200: n.ok, otherStatuses: Object.fromEntries(others.map((o) => [o.kind.trim(), o.n])), rolledUp: rolled }
    } catch (err) {
      return { completedRequests: lectrSent, error: (err as Error).message }
    }
  })()
  say(`Lectr recorded ${JSON.stringify(events)}`)

  // ----- 2. Streaming, on fresh processes (so the load above does not hide what streams cost in memory) -----
  say('streaming: fresh floor, Lectr and Portkey')
  const sMock = await startMock()
  const sFloor = await startFloor(sMock)
  const sLectr = await startLectr('lectr-stream', sMock)
  // An experiment, not a variant: the same binary with Bun's cap on concurrent fetches raised.
  const sLectrMax = await startLectr('lectr-stream-maxreq', sMock, { BUN_CONFIG_MAX_HTTP_REQUESTS: '4096' })
  const streamVariants: Variant[] = [
    { name: 'mock', child: sMock, url: url(sMock), headers: { authorization: `Bearer ${PROVIDER_KEY}` } },
    { name: 'floor', child: sFloor, url: url(sFloor), headers: { authorization: `Bearer ${PROVIDER_KEY}` } },
    { name: 'lectr', child: sLectr.child, url: url(sLectr.child), headers: lectrHeaders(sLectr.key) },
    {
      name: 'lectr+maxreq',
      child: sLectrMax.child,
      url: url(sLectrMax.child),
      headers: lectrHeaders(sLectrMax.key),
      note: 'experiment: Lectr started with BUN_CONFIG_MAX_HTTP_REQUESTS=4096',
    },
  ]
  if (portkey) {
    const pk = await startPortkey().catch(() => null)
    if (pk) {
      const v = { name: 'portkey', child: pk, url: url(pk), headers: portkeyHeaders(sMock) }
      const probe = await streams(v, 1, 1, false)
      if (probe.complete === 1) streamVariants.push(v)
      else {
        problems.push(`Portkey ${PORTKEY_VERSION} under ${meta.node} cannot stream here: ${probe.errorSamples.join('; ')}; its streaming figures come from the same package run by Bun instead`)
        await pk.stop()
        const pkb = await startPortkey('bun').catch(() => null)
        if (pkb) streamVariants.push({ name: 'portkey-bun', child: pkb, url: url(pkb), headers: portkeyHeaders(sMock), note: 'Portkey run by Bun (its Node start fails to stream)' })
      }
    }
  }
  // The same warm-up for every variant, so that time to first token compares code that has been compiled, as in a
  // server that has been up for a while, not each runtime's first requests: plain requests for the request path
  // (the non-streaming warm-up, with wrk), then streams 10 at a time for the streaming path. With the streams
  // alone, JavaScriptCore still ran Lectr's request path in its lower tiers: 0.2-0.35 ms more to the first token.
  for (const v of streamVariants) await wrk(v, 32, P.warmupSeconds, sMock, -1)
  for (const v of streamVariants) await streams(v, Math.min(10, P.warmupStreams), Math.ceil(P.warmupStreams / 10), false)
  const streaming: Record<string, { one: ReturnType<typeof summarizeStreams>; many: ReturnType<typeof summarizeStreams>; note?: string }> = {}
  const oneRaw: Record<string, StreamResult> = {}
  for (const v of streamVariants) {
    oneRaw[v.name] = await streams(v, 1, P.sequentialStreams, false)
    say(`stream x1   ${v.name.padEnd(14)} ttft p50 ${percentile(oneRaw[v.name].ttft, 50).toFixed(2)} ms, errors ${oneRaw[v.name].errors}`)
  }
  for (const v of streamVariants) {
    await Bun.sleep(300)
    const many = await streams(v, P.concurrentStreams, 1, true)
    streaming[v.name] = { one: summarizeStreams(oneRaw[v.name]), many: summarizeStreams(many), note: v.note }
    const s = streaming[v.name].many
    say(`stream x${P.concurrentStreams} ${v.name.padEnd(14)} complete ${s.complete}, errors ${s.errors}, most open at once ${s.maxOpen}, ttft p50 ${s.ttftP50Ms.toFixed(1)} ms max ${s.ttftMaxMs.toFixed(0)} ms, ${s.rssPerOpenStreamKiB.toFixed(1)} KiB/stream`)
  }
  for (const v of streamVariants) await v.child.stop()

  // ----- 3. Event log -----
  say('event writer throughput')
  const writer = await script(join(import.meta.dir, 'events', 'writer-bench.ts'), { BENCH_WRITER_EVENTS: QUICK ? '50000' : '300000' })
  say(`writer: ${JSON.stringify(writer)}`)
  say('model distribution over the big event log (built once into bench/.cache)')
  const distribution = await script(join(import.meta.dir, 'events', 'distribution.ts'))
  say(`distribution: median ${distribution.medianMs?.toFixed(1)} ms over ${distribution.events} events`)

  // ----- Figures -----
  const by = (name: string, conns: number) => runs.filter((r) => r.variant === name && r.conns === conns)
  const rounds = [...Array(P.rounds).keys()]
  const addedAt1 = (name: string, key: 'p50us' | 'p99us') =>
    median(rounds.map((round) => {
      const v = by(name, 1).find((r) => r.round === round)
      const m = by('mock', 1).find((r) => r.round === round)
      return v && m ? (v[key] - m[key]) / 1000 : NaN
    }))
  const summary: Record<string, any> = {}
  for (const v of variants) {
    const all = runs.filter((r) => r.variant === v.name)
    summary[v.name] = {
      p50MsAt1: median(by(v.name, 1).map((r) => r.p50us / 1000)),
      p99MsAt1: median(by(v.name, 1).map((r) => r.p99us / 1000)),
      addedP50MsAt1: v.name === 'mock' ? 0 : addedAt1(v.name, 'p50us'),
      addedP99MsAt1: v.name === 'mock' ? 0 : addedAt1(v.name, 'p99us'),
      rpsAt32: median(by(v.name, 32).map((r) => r.rps)),
      rpsAt256: by(v.name, 256).length ? median(by(v.name, 256).map((r) => r.rps)) : null,
      p99MsAt32: median(by(v.name, 32).map((r) => r.p99us / 1000)),
      p99MsAt256: by(v.name, 256).length ? median(by(v.name, 256).map((r) => r.p99us / 1000)) : null,
      errors: all.reduce((n, r) => n + r.errors, 0) + warmErrors[v.name]!,
      requests: all.reduce((n, r) => n + r.requests, 0),
      cpuUsPerRequestAt32: median(by(v.name, 32).map((r) => r.cpuUsPerRequest)),
      cpuUsPerRequestAt256: by(v.name, 256).length ? median(by(v.name, 256).map((r) => r.cpuUsPerRequest)) : null,
      peakRssMiB: peakRss[v.name] / 1024,
      answer: answers[v.name],
    }
  }
  const L = summary.lectr
  const F = summary.floor
  const K = summary.portkey ?? null
  const ratios = {
    addedP50LectrOverFloor: L.addedP50MsAt1 / F.addedP50MsAt1,
    addedP50LectrOverPortkey: K ? L.addedP50MsAt1 / K.addedP50MsAt1 : null,
    rps32LectrOverFloor: L.rpsAt32 / F.rpsAt32,
    rps32LectrOverPortkey: K ? L.rpsAt32 / K.rpsAt32 : null,
    rps256LectrOverFloor: L.rpsAt256 / F.rpsAt256,
    cpuPerRequestLectrOverFloor: L.cpuUsPerRequestAt32 / F.cpuUsPerRequestAt32,
    eventLogThroughputLoss: 1 - L.rpsAt32 / summary['lectr-nolog'].rpsAt32,
  }
  const sm = streaming.mock
  const sl = streaming.lectr
  const streamingFigures: Record<string, any> = {}
  for (const [name, s] of Object.entries(streaming)) {
    streamingFigures[name] = {
      ...s,
      addedTtftP50MsAt1: s.one.ttftP50Ms - sm.one.ttftP50Ms,
      addedTtftP50MsAt500: s.many.ttftP50Ms - sm.many.ttftP50Ms,
      addedTtftP99MsAt500: s.many.ttftP99Ms - sm.many.ttftP99Ms,
    }
  }
  const targets = [
    { target: 'added p50 at c=1 <= 1.5x the floor\'s', value: ratios.addedP50LectrOverFloor, ok: ratios.addedP50LectrOverFloor <= 1.5 },
    { target: 'added p50 at c=1 <= 1/4 of Portkey\'s', value: ratios.addedP50LectrOverPortkey, ok: K ? ratios.addedP50LectrOverPortkey! <= 0.25 : null },
    { target: 'req/s at c=32 >= 0.8x the floor\'s', value: ratios.rps32LectrOverFloor, ok: ratios.rps32LectrOverFloor >= 0.8 },
    { target: 'req/s at c=32 >= 10x Portkey\'s', value: ratios.rps32LectrOverPortkey, ok: K ? ratios.rps32LectrOverPortkey! >= 10 : null },
    { target: 'streaming: added TTFT p50 (1 stream) < 1 ms', value: streamingFigures.lectr.addedTtftP50MsAt1, ok: streamingFigures.lectr.addedTtftP50MsAt1 < 1 },
    { target: `${P.concurrentStreams} concurrent streams, no error`, value: sl.many.errors, ok: sl.many.errors === 0 && sl.many.complete === P.concurrentStreams },
    { target: `${P.concurrentStreams} streams really open at once (no queueing)`, value: sl.many.maxOpen, ok: sl.many.maxOpen === P.concurrentStreams },
    { target: '< 64 KiB RSS per open stream', value: sl.many.rssPerOpenStreamKiB, ok: sl.many.rssPerOpenStreamKiB < 64 },
    { target: 'every variant answers 200, no errors', value: Object.values(summary).reduce((n: number, s: any) => n + s.errors, 0), ok: Object.values(summary).every((s: any) => s.errors === 0 && s.answer === 'ok') },
    { target: 'Lectr: one event per request', value: (events as any).events, ok: (events as any).events >= lectrSent && (events as any).events <= lectrSent + 2 * 256 * P.rounds + 32 },
    { target: 'event log costs < 5% of req/s at c=32', value: ratios.eventLogThroughputLoss, ok: ratios.eventLogThroughputLoss < 0.05 },
    { target: 'event writer >= 50,000 events/s', value: writer.eventsPerSec, ok: writer.eventsPerSec >= 50_000 && writer.ok },
    { target: `model distribution, 30 days of ${distribution.events} events < 50 ms (median)`, value: distribution.medianMs, ok: distribution.events >= 10_000_000 ? distribution.medianMs < 50 && distribution.sampleCheck?.ok === true : null },
  ]
  const result = {
    meta,
    problems,
    load: { summary, ratios, lectrEvents: events, runs, warmupRequests: warm },
    streaming: streamingFigures,
    eventLog: { writer, distribution },
    targets,
    seconds: (Date.now() - t0) / 1000,
  }
  mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + '\n')
  print(result)
  // BENCH_KEEP=1 keeps every variant's database and output, to look into a figure afterwards.
  if (process.env.BENCH_KEEP) console.log(`kept: ${scratch}`)
  else rmSync(scratch, { recursive: true, force: true })
}

function fmt(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits)
}

function print(r: any) {
  const s = r.load.summary
  const lines: string[] = []
  lines.push('')
  lines.push(`Lectr ${r.meta.lectr.version} (${r.meta.lectr.commit}${r.meta.lectr.dirty ? '+changes' : ''}) on ${r.meta.machine.cpus} cores, Bun ${r.meta.bun}, ${r.meta.node}, ${r.meta.wrk}${r.meta.quick ? '  [QUICK run]' : ''}`)
  lines.push(`Proxy, non-streaming: medians of ${r.meta.params.rounds} interleaved rounds of ${r.meta.params.seconds}s (wrk -t1); added = variant - mock in the same round`)
  const head = ['variant', 'p50 c1', 'add p50', 'add p99', 'req/s c32', 'req/s c256', 'p99 c256', 'errors', 'cpu/req', 'peak RSS']
  const w = [13, 9, 9, 9, 10, 11, 10, 7, 9, 9]
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' ')
  lines.push(row(head))
  lines.push(row(['', 'ms', 'ms', 'ms', '', '', 'ms', '', 'us', 'MiB']))
  for (const [name, v] of Object.entries<any>(s)) {
    lines.push(row([name, fmt(v.p50MsAt1, 3), fmt(v.addedP50MsAt1, 3), fmt(v.addedP99MsAt1, 3), fmt(v.rpsAt32, 0), fmt(v.rpsAt256, 0), fmt(v.p99MsAt256, 1), String(v.errors), fmt(v.cpuUsPerRequestAt32, 0), fmt(v.peakRssMiB, 1)]))
  }
  const ra = r.load.ratios
  lines.push(`Lectr/floor: added p50 ${fmt(ra.addedP50LectrOverFloor)}x, req/s c32 ${fmt(ra.rps32LectrOverFloor)}x, req/s c256 ${fmt(ra.rps256LectrOverFloor)}x, cpu/req ${fmt(ra.cpuPerRequestLectrOverFloor)}x`)
  lines.push(`Lectr/Portkey: added p50 ${fmt(ra.addedP50LectrOverPortkey, 3)}x, req/s c32 ${fmt(ra.rps32LectrOverPortkey, 1)}x`)
  lines.push(`Event log on vs off: req/s c32 loss ${fmt(100 * ra.eventLogThroughputLoss, 1)}%;  events recorded ${r.load.lectrEvents.events} for ${r.load.lectrEvents.completedRequests} completed requests`)
  lines.push('')
  lines.push('Streaming (64 deltas, 20 ms apart): 1 stream at a time, then 500 at once, on fresh processes')
  const sh = ['variant', 'ttft c1', 'add ttft', 'gap p99', 'ok/500', 'errors', 'max open', 'ttft p50', 'ttft max', 'gap p99', 'KiB/strm']
  const sw = [13, 8, 9, 8, 7, 7, 9, 9, 9, 8, 9]
  const srow = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(sw[i]) : c.padStart(sw[i]))).join(' ')
  lines.push(srow(sh))
  lines.push(srow(['', 'ms', 'ms', 'ms', '', '', '', 'ms', 'ms', 'ms', '']))
  for (const [name, v] of Object.entries<any>(r.streaming)) {
    lines.push(srow([name, fmt(v.one.ttftP50Ms), fmt(v.addedTtftP50MsAt1, 3), fmt(v.one.gapP99Ms, 1), `${v.many.complete}`, String(v.many.errors + v.one.errors), String(v.many.maxOpen), fmt(v.many.ttftP50Ms, 1), fmt(v.many.ttftMaxMs, 0), fmt(v.many.gapP99Ms, 1), fmt(v.many.rssPerOpenStreamKiB, 1)]))
  }
  for (const [name, v] of Object.entries<any>(r.streaming)) if (v.note) lines.push(`  ${name}: ${v.note}`)
  lines.push('')
  const wr = r.eventLog.writer
  const d = r.eventLog.distribution
  lines.push(`Event writer: ${fmt(wr.eventsPerSec, 0)} events/s (${wr.events} events, real EventWriter, WAL, all written: ${wr.ok})`)
  lines.push(`Model distribution, 30 days of a ${d.events}-event log (rows in range: ${Object.entries(d.rowsIn30DaysByTable ?? {}).map(([t, n]) => `${t} ${n}`).join(', ')}): median ${fmt(d.medianMs, 1)} ms, p90 ${fmt(d.p90Ms, 1)} ms, first ${fmt(d.firstMs, 1)} ms; one provider ${fmt(d.oneProviderMedianMs, 1)} ms; 90 days ${fmt(d.days90MedianMs, 1)} ms; events page ${fmt(d.eventsFirstPageMedianMs, 2)} ms`)
  lines.push(`  direct build vs the real EventWriter on a ${d.sampleCheck?.events}-event sample: ${d.sampleCheck?.ok ? 'identical' : 'DIFFERENT: ' + d.sampleCheck?.differences?.join('; ')}`)
  lines.push('')
  lines.push('Targets')
  for (const t of r.targets) lines.push(`  ${t.ok === null ? 'n/a ' : t.ok ? 'PASS' : 'FAIL'}  ${t.target}  (${typeof t.value === 'number' ? fmt(t.value, 3) : t.value})`)
  for (const p of r.problems) lines.push(`  note: ${p}`)
  lines.push('')
  lines.push(`Every figure: ${RESULTS}  (${fmt(r.seconds, 0)} s)`)
  console.log(lines.join('\n'))
}

await main()
process.exit(0)
