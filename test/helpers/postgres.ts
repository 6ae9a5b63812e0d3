/**
 * A throwaway Postgres for tests and benches: Debian's server binaries (`make postgres` installs them; LECTR_PG_BIN
 * points elsewhere), one `initdb` per machine and server version into a template that each cluster copies, a free
 * port on 127.0.0.1, the socket and data in a temporary directory owned by `postgres` (the server refuses to run as
 * root, so as root every command goes through `runuser -u postgres`). Clusters are stopped by `stop()` (call it in
 * `afterAll`), at process exit and on SIGINT/SIGTERM/SIGHUP; a cluster left by a run that was killed outright
 * (SIGKILL, OOM) is stopped and removed by the next `startPostgres()` on the machine.
 */
import { SQL } from 'bun'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'

export interface Postgres {
  /** `postgres://lectr@127.0.0.1:PORT/postgres`: superuser `lectr`, trust authentication */
  url: string
  port: number
  /** the server's data directory */
  dataDir: string
  /** stops the server (fast, then immediate) and removes its directory; safe to call twice */
  stop(): Promise<void>
  /**
   * Takes the server away with its data kept, as an outage would: `fast` ends sessions cleanly, `immediate` as a
   * crash does. Clients see refused connections until `resume()`.
   */
  halt(mode?: 'fast' | 'immediate'): Promise<void>
  /** starts the halted server again, on the same port with the same data */
  resume(): Promise<void>
}

export interface PostgresOptions {
  /**
   * `true`: the server's durable defaults (fsync), for benches. Default `false`: fsync off (and full-page writes),
   * which tests do not need (only an OS crash would lose data) and which cost seconds on a shared disk.
   */
  durable?: boolean
  /**
   * Serve this existing data directory in place (a bench's cached, loaded cluster) instead of a copy of the template;
   * `stop()` then leaves it where it is. It must belong to the same server version (and to `postgres` as root).
   */
  dataDir?: string
}

/** every directory this helper makes starts with this, in the system's temp directory */
const PREFIX = 'lectr-pg-'
const ROOT = join(tmpdir(), `${PREFIX}${process.pid}`)
const AS_ROOT = process.getuid?.() === 0

/** The newest server in /usr/lib/postgresql (Debian's layout), or LECTR_PG_BIN. */
export function postgresBinDir(): string {
  const fromEnv = process.env.LECTR_PG_BIN
  if (fromEnv) return fromEnv
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base)
    ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) throw new Error(`no Postgres server in ${base}: run \`make postgres\` (installs Debian's postgresql)`)
  return join(base, versions[0]!, 'bin')
}

/** Runs a server program as `postgres` (as root) or as ourselves; throws with its output when it fails. */
function run(program: string, args: string[], timeoutMs = 60_000): string {
  const bin = join(postgresBinDir(), program)
  const cmd = AS_ROOT ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args]
  const res = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs })
  const out = `${res.stdout.toString()}${res.stderr.toString()}`
  if (res.exitCode !== 0) throw new Error(`${program} ${args.join(' ')} failed (exit ${res.exitCode}): ${out.trim()}`)
  return out
}

/** `run` without blocking the event loop: for what tests do while their servers serve traffic. */
async function runAsync(program: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const bin = join(postgresBinDir(), program)
  const cmd = AS_ROOT ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args]
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe', timeout: timeoutMs })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`${program} ${args.join(' ')} failed (exit ${code}): ${`${out}${err}`.trim()}`)
  return `${out}${err}`
}

function chownToPostgres(path: string): void {
  if (AS_ROOT) Bun.spawnSync(['chown', '-R', 'postgres:postgres', path])
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Stops a server without waiting for clients; used on exit and for leftovers. Never throws. */
function stopImmediately(dataDir: string): void {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return
  try {
    run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], 15_000)
  } catch {
    // Not running any more (a stale postmaster.pid): nothing to stop.
  }
}

/** Clusters of runs whose process is gone: stop their servers and remove their directories. */
function removeLeftovers(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue
    // `lectr-pg-<pid>`, or `lectr-pg-template-<version>.<pid>` from an initdb that did not finish
    const pid = Number(name.startsWith(`${PREFIX}template-`) ? name.split('.').pop() : name.slice(PREFIX.length))
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue
    const dir = join(tmpdir(), name)
    try {
      for (const sub of readdirSync(dir)) stopImmediately(join(dir, sub, 'data'))
    } catch {
      // unreadable: removed below all the same
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

const running = new Map<string, string>() // cluster dir -> data dir
let template: string | null = null
let exitHooked = false
let counter = 0

/**
 * `initdb` once per machine and server version (about 1.5 s here, under load 3 s): the result is kept in the temp
 * directory and each cluster copies it (tens of milliseconds). Made under a private name and renamed into place, so
 * two processes starting at once both end up with one complete template.
 */
function templateDir(): string {
  if (template) return template
  const bin = postgresBinDir()
  const final = join(tmpdir(), `${PREFIX}template-${basename(dirname(bin))}`)
  // 1 MB WAL segments instead of 16: the copy each cluster makes is 28 MB instead of 39
  if (!existsSync(join(final, 'PG_VERSION'))) {
    const mine = `${final}.${process.pid}`
    rmSync(mine, { recursive: true, force: true })
    mkdirSync(mine, { mode: 0o700 })
    chownToPostgres(mine)
    run('initdb', ['-D', mine, '-U', 'lectr', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions', '--wal-segsize=1'])
    try {
      renameSync(mine, final)
    } catch {
      // another process put its template there first: use that one
      rmSync(mine, { recursive: true, force: true })
    }
  }
  template = final
  return final
}

function hookExit(): void {
  if (exitHooked) return
  exitHooked = true
  const stopAll = () => {
    for (const [dir, data] of running) {
      stopImmediately(data)
      rmSync(dir, { recursive: true, force: true })
    }
    running.clear()
    rmSync(ROOT, { recursive: true, force: true })
  }
  process.on('exit', stopAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAll()
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal])
    })
  }
}

/** A port nobody listens on now (the server binds it a moment later; a lost race is retried by the caller). */
function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

async function stopCluster(dir: string, data: string): Promise<void> {
  if (!running.has(dir)) return
  running.delete(dir)
  try {
    await runAsync('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '20', 'stop'], 30_000)
  } catch {
    stopImmediately(data)
  }
  rmSync(dir, { recursive: true, force: true })
  // `bun test` fires no exit event: the last cluster stopped takes the process's directory with it.
  if (running.size === 0) rmSync(ROOT, { recursive: true, force: true })
}

/** Starts a new, empty cluster. Call `stop()` in `afterAll` (exit and signals stop it too). */
export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  removeLeftovers()
  const source = templateDir()
  mkdirSync(ROOT, { recursive: true, mode: 0o755 })
  hookExit()
  let lastError: unknown = null
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = join(ROOT, `c${++counter}`)
    const data = options.dataDir ?? join(dir, 'data')
    mkdirSync(dir)
    if (!options.dataDir) {
      const copy = Bun.spawnSync(['cp', '-a', '--reflink=auto', source, data])
      if (copy.exitCode !== 0) throw new Error(`copying the template cluster failed: ${copy.stderr.toString()}`)
    }
    chownToPostgres(dir)
    const port = freePort()
    const settings = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${dir}`,
      // Not synchronous_commit=off: a commit must be in the WAL when it returns, or halt('immediate') (an outage)
      // would lose it, and tests of "no event lost" would fail for the wrong reason. fsync=off only risks an OS crash.
      ...(options.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
    ].join(' ')
    running.set(dir, data)
    const start = () => runAsync('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '30', 'start'], 40_000)
    try {
      await start()
      return {
        url: `postgres://lectr@127.0.0.1:${port}/postgres`,
        port,
        dataDir: data,
        stop: () => stopCluster(dir, data),
        halt: async (mode = 'fast') => {
          await runAsync('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '20', 'stop'], 30_000)
        },
        resume: async () => {
          await start()
        },
      }
    } catch (err) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : ''
      lastError = new Error(`${(err as Error).message}\n${log}`)
      await stopCluster(dir, data)
    }
  }
  throw lastError
}

/** A new, empty database on a cluster (`name`: letters, digits and _); returns its URL. */
export async function createDatabase(pg: Postgres, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`)
  const admin = new SQL(pg.url, { max: 1 })
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
  } finally {
    await admin.close()
  }
  return pg.url.replace(/\/postgres$/, `/${name}`)
}
