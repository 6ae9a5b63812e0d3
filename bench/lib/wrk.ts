// wrk for the benchmark scripts: installed from Debian when missing, run with bench/wrk/chat.lua, read back as JSON.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHAT_REQUEST } from './lectr'
import { cpuMs } from './proc'

const LUA = join(import.meta.dir, '..', 'wrk', 'chat.lua')

/** null when wrk is on PATH (installing Debian's if it is not); otherwise why it is not. */
export function ensureWrk(say: (l: string) => void): string | null {
  if (Bun.which('wrk')) return null
  say("wrk is missing: installing Debian's wrk")
  const r = Bun.spawnSync(['sh', '-c', 'apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)'])
  return Bun.which('wrk') ? null : `could not install wrk (exit ${r.exitCode}); it needs root and Debian's packages`
}

export interface WrkResult {
  requests: number
  seconds: number
  rps: number
  p50us: number
  p99us: number
  errors: number
  errorDetail: { connect: number; read: number; write: number; status: number; timeout: number }
  /** CPU the watched process used during the run, per request (µs) */
  cpuUsPerRequest: number
}

/** wrk -t1 at `conns` connections for `seconds`, POSTing CHAT_REQUEST with `headers` to `url`; `pid`'s CPU is read around it. */
export async function runWrk(opts: { url: string; headers: Record<string, string>; conns: number; seconds: number; pid: number; scratch: string }): Promise<WrkResult> {
  const bodyFile = join(opts.scratch, 'body.json')
  writeFileSync(bodyFile, JSON.stringify(CHAT_REQUEST))
  const headers = Object.entries(opts.headers).map(([k, v]) => `${k}: ${v}`).join('\n')
  const cpu0 = cpuMs(opts.pid)
  const p = Bun.spawn(['wrk', '-t1', `-c${opts.conns}`, `-d${opts.seconds}s`, '--timeout', '10s', '-s', LUA, opts.url], {
    env: { ...process.env, BENCH_BODY_FILE: bodyFile, BENCH_HEADERS: headers },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const out = await new Response(p.stdout).text()
  await p.exited
  const cpu = cpuMs(opts.pid) - cpu0
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '))
  if (!line) throw new Error(`wrk gave no result for ${opts.url}:\n${out}\n${await new Response(p.stderr).text()}`)
  const j = JSON.parse(line.slice(8))
  const seconds = j.duration_us / 1e6
  return {
    requests: j.requests,
    seconds,
    rps: j.requests / seconds,
    p50us: j.p50,
    p99us: j.p99,
    errors: j.connect + j.read + j.write + j.status + j.timeout,
    errorDetail: { connect: j.connect, read: j.read, write: j.write, status: j.status, timeout: j.timeout },
    cpuUsPerRequest: j.requests ? (cpu * 1000) / j.requests : NaN,
  }
}
