// Issue 20: the dashboard's pages and the admin model distribution over a big event log on Postgres against the same
// on SQLite (goal ≤ 100 ms each, as on SQLite), in one run. BENCH_DB is a log built by bench/events/distribution.ts
// (e.g. bench/.cache/events-10000000-…db); it is never written: it is copied into the scratch directory for the SQLite
// run. Postgres: the log is loaded once into a throwaway local cluster (bench/lib/pg-load.ts: COPY, a few minutes
// for the 10M log; BENCH_PG_LOAD=migrate times `dist/lectr migrate-to-postgres` instead, 14–20k rows/s), analysed,
// and its data directory kept in bench/.cache/pg-<log's name>/data (gitignored); later runs copy that directory and
// serve the copy (BENCH_PG_FRESH=1 loads again; BENCH_LOAD_ONLY=1 only loads). Then bench/events/pages.ts runs on
// the Postgres database and on the SQLite copy in turn (Lectr in its process, HTTP).
// Then, unless BENCH_EXPLAIN_MS=0, one more (cold) pass on Postgres with auto_explain (ANALYZE) logging every
// statement over BENCH_EXPLAIN_MS (default 100) ms: its plans go to bench/results/postgres-pages-<stamp>-slow.log (the
// timed runs are made without it). Writes bench/results/postgres-pages-<date>T<hhmm>-<size>.json. Env: BENCH_DB
// (required), BENCH_RUNS (pages.ts; default 3), BENCH_WARM_MS (pages.ts).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { Database } from 'bun:sqlite'
import { SQL } from 'bun'
import { createDatabase, startPostgres } from '../test/helpers/postgres'
import { loadWithCopy } from './lib/pg-load'

const SOURCE = process.env.BENCH_DB
if (!SOURCE) throw new Error('BENCH_DB: the path of a database built by bench/events/distribution.ts (read only: it is copied)')
const LECTR = join(import.meta.dir, '..', 'dist', 'lectr')
const BUN = process.execPath
const log = (l: string) => console.error(`postgres-pages: ${l}`)
const load = () => loadavg().map((l) => Number(l.toFixed(2)))

const scratch = mkdtempSync(join(tmpdir(), 'lectr-pgpages-'))
// The loaded cluster is kept (bench/.cache/pg-<log's name>/data, gitignored): the migration of the 10M log takes
// 10–20 minutes, so later runs start the server on that data directory in place (migrated and analysed once).
const cached = join(import.meta.dir, '.cache', `pg-${basename(SOURCE).replace(/\.db$/, '')}`, 'data')
const reuse = process.env.BENCH_PG_FRESH !== '1' && existsSync(join(cached, 'PG_VERSION'))
// Each run serves a copy of the kept data directory (its proxied requests, keys and sessions are written there), so
// every run starts from the very rows of the SQLite log, as the SQLite run does from its copy.
const servedCopy = async () => {
  chmodSync(scratch, 0o755) // the server runs as `postgres` (as root): it must reach its data directory in here
  const data = join(scratch, 'pgdata')
  const t = performance.now()
  const cp = Bun.spawnSync(['cp', '-a', '--reflink=auto', cached, data])
  if (cp.exitCode !== 0) throw new Error(`copying ${cached}: ${cp.stderr.toString()}`)
  log(`copied the kept cluster in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  return startPostgres({ durable: true, dataDir: data })
}
// Loaded without fsync (the rows are flushed by the clean stop before the move), then served with durable defaults.
let pg = reuse ? await servedCopy() : await startPostgres()
try {
  const db = join(scratch, 'lectr.db')
  let t = performance.now()
  copyFileSync(SOURCE, db)
  log(`copied ${SOURCE} (${(statSync(db).size / 1e9).toFixed(2)} GB) in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  // The bench's own table (what distribution.ts generated) is no part of Lectr's schema: the migration refuses it.
  const copy = new Database(db)
  copy.exec('DROP TABLE IF EXISTS bench_meta')
  copy.close()
  const dbName = 'lectr_pages'
  let url = pg.url.replace(/\/postgres$/, `/${dbName}`)
  let migrate: Record<string, unknown> = { reused: cached }
  if (reuse) {
    log(`reusing the loaded cluster in ${cached} (BENCH_PG_FRESH=1 loads it again)`)
  } else {
    url = await createDatabase(pg, dbName)
    const loadBefore = load()
    t = performance.now()
    if (process.env.BENCH_PG_LOAD !== 'migrate') {
      migrate = { how: 'COPY (bench/lib/pg-load.ts)', ...(await loadWithCopy(SOURCE, url, log)), loadavgBefore: loadBefore, loadavgAfter: load() }
      log(`loaded with COPY in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${loadBefore} → ${load()})`)
    }
    const mig = process.env.BENCH_PG_LOAD !== 'migrate' ? { exitCode: 0, stdout: '', stderr: '' } : Bun.spawnSync([LECTR, 'migrate-to-postgres', '--db', db, '--database-url', url], { stdout: 'pipe', stderr: 'pipe' })
    const migrateSeconds = (performance.now() - t) / 1000
    const migOut = `${mig.stdout.toString()}${mig.stderr.toString()}`
    if (mig.exitCode !== 0) throw new Error(`migrate-to-postgres failed (${mig.exitCode}):\n${migOut}`)
    if (process.env.BENCH_PG_LOAD === 'migrate') log(`migrated in ${migrateSeconds.toFixed(1)} s (load ${loadBefore} → ${load()}):\n${migOut.trim()}`)
    // A restored database has no planner statistics until autovacuum's analyse reaches it: take them now (timed),
    // as a server that has been up a while has them.
    t = performance.now()
    const analyzer = new SQL(url, { max: 1 })
    await analyzer.unsafe('ANALYZE')
    await analyzer.close()
    const analyzeSeconds = Number(((performance.now() - t) / 1000).toFixed(1))
    log(`ANALYZE in ${analyzeSeconds} s`)
    migrate = { ...migrate, seconds: Number(migrateSeconds.toFixed(1)), analyzeSeconds, loadavgBefore: loadBefore, loadavgAfter: load(), output: migOut.trim().split('\n') }
    // Keep the loaded data directory: stopped cleanly, moved (same file system) into the cache, served from there.
    await pg.halt('fast')
    rmSync(dirname(cached), { recursive: true, force: true })
    mkdirSync(dirname(cached), { recursive: true })
    renameSync(pg.dataDir, cached)
    await pg.stop() // removes the cluster's directory, its data moved out
    pg = await servedCopy()
    url = pg.url.replace(/\/postgres$/, `/${dbName}`)
    log(`loaded cluster kept in ${cached}`)
  }
  if (process.env.BENCH_LOAD_ONLY === '1') {
    console.log(JSON.stringify({ loaded: cached, migrate }))
    await pg.stop()
    rmSync(scratch, { recursive: true, force: true })
    process.exit(0)
  }

  const pages = async (store: 'sqlite' | 'postgres', extra: Record<string, string> = {}) => {
    const out = join(scratch, `${store}.json`)
    const loadavgBefore = load()
    const p = Bun.spawn([BUN, join(import.meta.dir, 'events', 'pages.ts')], {
      env: { ...process.env, BENCH_DB: db, BENCH_OUT: out, ...(store === 'postgres' ? { BENCH_DATABASE_URL: url } : {}), ...extra },
      cwd: scratch,
      stdout: 'ignore',
      stderr: 'inherit',
    })
    if ((await p.exited) !== 0) throw new Error(`pages.ts on ${store} failed`)
    return { loadavgBefore, loadavgAfter: load(), ...JSON.parse(readFileSync(out, 'utf8')) }
  }
  // Postgres first: the SQLite copy is written to by its run (one event per "after a write" read), Postgres's is not.
  const postgres = await pages('postgres')
  const sqlite = await pages('sqlite')
  type Timing = { medianMs: number; coldMs: number; bytes: number }
  const compare = Object.fromEntries(
    Object.keys(sqlite.results).map((k) => {
      const s = sqlite.results[k] as Timing
      const p = postgres.results[k] as Timing
      return [k, { sqliteMs: s.medianMs, postgresMs: p.medianMs, postgresColdMs: p.coldMs, sqliteBytes: s.bytes, postgresBytes: p.bytes }]
    }),
  )
  const server = Bun.spawnSync(['/usr/lib/postgresql/15/bin/postgres', '--version']).stdout.toString().trim()
  const result = {
    bench: 'postgres-pages',
    date: new Date().toISOString(),
    goal: 'every page and the model distribution <= 100 ms on Postgres, as on SQLite',
    source: SOURCE,
    events: sqlite.events,
    postgres: server || 'unknown',
    cpus: cpus().length,
    bun: Bun.version,
    migrate,
    compare,
    sqlite,
    postgresRun: postgres,
  }
  console.log(JSON.stringify({ events: result.events, migrateSeconds: migrate.seconds, compare }))
  const dir = join(import.meta.dir, 'results')
  // date, time and size: runs of one day at other sizes keep their files
  const stamp = `${result.date.slice(0, 16).replace(':', '')}-${result.events >= 1e6 ? `${result.events / 1e6}m` : `${result.events / 1e3}k`}`
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `postgres-pages-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`)
  const explainMs = Number(process.env.BENCH_EXPLAIN_MS ?? 100)
  if (explainMs > 0) {
    const admin = new SQL(url, { max: 1 })
    // ALTER SYSTEM knows auto_explain's settings only once the module is loaded in the session.
    await admin.unsafe(`LOAD 'auto_explain'`)
    await admin.unsafe(`ALTER SYSTEM SET session_preload_libraries = 'auto_explain'`)
    await admin.unsafe(`ALTER SYSTEM SET auto_explain.log_min_duration = ${explainMs}`)
    await admin.unsafe(`ALTER SYSTEM SET auto_explain.log_analyze = on`)
    await admin.unsafe(`ALTER SYSTEM SET auto_explain.log_buffers = on`)
    await admin.unsafe('SELECT pg_reload_conf()')
    await admin.close()
    await pages('postgres', { BENCH_RUNS: '0', BENCH_WARM_MS: '2000' })
    // The cached cluster must not keep logging plans in later runs.
    const reset = new SQL(url, { max: 1 })
    await reset.unsafe('ALTER SYSTEM RESET ALL')
    await reset.unsafe('SELECT pg_reload_conf()')
    await reset.close()
    const root = join(tmpdir(), `lectr-pg-${process.pid}`)
    const logs = readdirSync(root).map((d) => join(root, d, 'server.log')).filter((f) => existsSync(f))
    const slowLog = logs.map((f) => readFileSync(f, 'utf8')).join('\n')
    writeFileSync(join(dir, `postgres-pages-${stamp}-slow.log`), slowLog)
  }
} finally {
  await pg.stop()
  rmSync(scratch, { recursive: true, force: true })
}
