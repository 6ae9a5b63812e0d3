// Process helpers for the benchmark: free ports, child servers that announce readiness, /proc sampling.
import { readdirSync, readFileSync } from 'node:fs'

const CLK_TCK = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const p = s.port
  s.stop(true)
  return p
}

/**
 * A process and all its descendants. A server may re-execute itself (to set an environment variable Bun reads
 * only at start) and serve from a child: its CPU and memory are those of the whole tree.
 */
export function processTree(pid: number): number[] {
  const out: number[] = []
  const visit = (p: number) => {
    out.push(p)
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${p}/task`)
    } catch {
      return
    }
    for (const t of tasks) {
      let kids = ''
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8')
      } catch {}
      for (const k of kids.split(' ').filter(Boolean)) visit(Number(k))
    }
  }
  visit(pid)
  return out
}

/** CPU time (user + system, all threads) a process and its descendants have used so far, in ms. */
export function cpuMs(pid: number): number {
  let total = 0
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // f[0] is field 3 (state); utime is field 14, stime field 15.
      total += ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK
    } catch {}
  }
  return total
}

/** CPU time each thread of a process has used so far, in ms: its name (`main` for the process's first thread). */
export function threadTimes(pid: number): { name: string; main: boolean; userMs: number; systemMs: number }[] {
  const out: { name: string; main: boolean; userMs: number; systemMs: number }[] = []
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
      out.push({
        name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), main: t === String(pid),
        userMs: (Number(f[11]) * 1000) / CLK_TCK, systemMs: (Number(f[12]) * 1000) / CLK_TCK,
      })
    } catch {}
  }
  return out
}

/**
 * Resident set size of a process and its descendants, in KiB: `rss` now, `hwm` the sum of each one's peak
 * (VmHWM; exact for a single process, an upper bound for a tree).
 */
export function memKiB(pid: number): { rss: number; hwm: number } {
  let rss = 0
  let hwm = 0
  for (const p of processTree(pid)) {
    try {
      const s = readFileSync(`/proc/${p}/status`, 'utf8')
      const get = (k: string) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? 0)
      rss += get('VmRSS')
      hwm += get('VmHWM')
    } catch {}
  }
  return { rss, hwm }
}

export interface Child {
  name: string
  proc: ReturnType<typeof Bun.spawn>
  pid: number
  port: number
  /** everything the child printed so far (stdout + stderr), capped */
  output(): string
  stop(): Promise<void>
}

/**
 * Spawns a server and waits until its output matches `ready` (and, if given, until `port` accepts a request).
 * Every child is killed when the benchmark exits, however it exits.
 */
export async function startChild(opts: {
  name: string
  cmd: string[]
  env?: Record<string, string>
  cwd?: string
  ready: RegExp
  port?: number
  timeoutMs?: number
}): Promise<Child & { match: RegExpMatchArray }> {
  const proc = Bun.spawn(opts.cmd, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  children.add(proc)
  let out = ''
  let match: RegExpMatchArray | null = null
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder()
    for await (const chunk of s) {
      out += dec.decode(chunk, { stream: true })
      if (out.length > 200_000) out = out.slice(-100_000)
    }
  }
  void pump(proc.stdout as ReadableStream<Uint8Array>)
  void pump(proc.stderr as ReadableStream<Uint8Array>)
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  while (!(match = out.match(opts.ready))) {
    if (proc.exitCode !== null) throw new Error(`${opts.name} exited (${proc.exitCode}) before it was ready:\n${out.slice(-4000)}`)
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`${opts.name} was not ready within ${opts.timeoutMs ?? 30_000} ms:\n${out.slice(-4000)}`)
    }
    await Bun.sleep(20)
  }
  const port = opts.port ?? Number(match[1])
  return {
    name: opts.name,
    proc,
    pid: proc.pid,
    port,
    match,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000)
        await proc.exited
        clearTimeout(t)
      }
      children.delete(proc)
    },
  }
}

const children = new Set<ReturnType<typeof Bun.spawn>>()
const killAll = () => {
  for (const c of children) {
    if (c.exitCode !== null) continue
    // Descendants first: a server that re-executed itself must not outlive the benchmark.
    for (const p of processTree(c.pid).reverse()) {
      try {
        process.kill(p, 'SIGKILL')
      } catch {}
    }
  }
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

/** Median of a list (NaN when empty). */
export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

/** The p-th percentile (0..100) of a list, nearest rank. */
export function percentile(xs: number[], p: number): number {
  const v = [...xs].sort((a, b) => a - b)
  if (v.length === 0) return NaN
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]
}
