// Issue 20: where the Postgres server's CPU per event goes on the write path. One durable throwaway cluster with
// pg_stat_statements; the rps bench's traffic shape (one org, one model, feature "bench", task "generation", times
// now) appended through PostgresEventStore.append in batches of BENCH_BATCH (default 350: ~7,000 req/s with the
// writer's 50 ms turn). Per batch: statements and rows from pg_stat_statements; per event: WAL bytes
// (pg_current_wal_lsn before/after), CPU of the backend that served the writer and of the whole cluster (postmaster
// and all its children: walwriter, checkpointer, autovacuum). Prints a table and one JSON line.
// Env: BENCH_EVENTS (default 100,000), BENCH_BATCH.
import { SQL } from 'bun'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { connectPostgres } from '../src/storage/postgres/connect'
import { migratePostgres } from '../src/storage/postgres/migrations'
import { PostgresEventStore } from '../src/storage/postgres/events'
import { createDatabase, startPostgres } from '../test/helpers/postgres'
import { event } from '../test/helpers/event'
import { cpuMs } from './lib/proc'

const N = Number(process.env.BENCH_EVENTS ?? 100_000)
const BATCH = Number(process.env.BENCH_BATCH ?? 350)
const log = (l: string) => console.error(`postgres-write-profile: ${l}`)

const pg = await startPostgres({ durable: true })
try {
  const admin = new SQL(pg.url, { max: 1 })
  await admin`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`
  await admin.close()
  await pg.halt('fast')
  await pg.resume()
  const admin2 = new SQL(pg.url, { max: 1 })
  await admin2`ALTER SYSTEM SET pg_stat_statements.track_planning = on`
  await admin2`SELECT pg_reload_conf()`
  await admin2.close()
  const url = await createDatabase(pg, 'profile')
  const sql = connectPostgres(url, { max: 1 })
  await migratePostgres(sql)
  await sql`CREATE EXTENSION pg_stat_statements`
  const store = new PostgresEventStore(sql)
  await store.prepare()
  const [{ pid: backend }] = await sql`SELECT pg_backend_pid() AS pid`
  const postmaster = Number((await Bun.file(`/proc/${backend}/stat`).text()).split(') ')[1]!.split(' ')[1])
  const make = (n: number) => Array.from({ length: n }, () => event({ model: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', feature: 'bench', task: 'generation', inputTokens: 42, outputTokens: 18, latencyMs: 1 + Math.random() * 5 }))
  // warm-up: plans, caches
  for (let i = 0; i < 5; i++) await store.append(make(BATCH))
  await sql`SELECT pg_stat_statements_reset()`
  const [{ lsn: lsn0 }] = await sql`SELECT pg_current_wal_lsn()::text AS lsn`
  const [{ wal_records: rec0, wal_fpi: fpi0 }] = await sql`SELECT wal_records::float8, wal_fpi::float8 FROM pg_stat_wal`
  const b0 = cpuMs(backend)
  const c0 = cpuMs(postmaster)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let batches = 0
  for (let done = 0; done < N; done += BATCH) {
    await store.append(make(Math.min(BATCH, N - done)))
    batches++
  }
  const seconds = (performance.now() - t0) / 1000
  const used = process.cpuUsage(cpu0)
  const backendMs = cpuMs(backend) - b0
  const clusterMs = cpuMs(postmaster) - c0
  const [{ bytes }] = await sql`SELECT (pg_current_wal_lsn() - ${lsn0}::pg_lsn)::float8 AS bytes`
  const [{ wal_records: rec1, wal_fpi: fpi1 }] = await sql`SELECT wal_records::float8, wal_fpi::float8 FROM pg_stat_wal`
  const statements: { query: string; calls: number; rows: number; ms: number; wal: number; plans: number; planMs: number }[] = await sql`
    SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query, calls::float8 AS calls, rows::float8 AS rows,
      total_exec_time AS ms, wal_bytes::float8 AS wal, plans::float8 AS plans, total_plan_time AS "planMs"
    FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' AND query NOT LIKE '%pg_current_wal%' ORDER BY total_exec_time DESC`
  // Bun's named statements on the writer's connection: planned once (generic) or at every execution (custom)?
  const prepared = await sql`SELECT left(regexp_replace(statement, '\\s+', ' ', 'g'), 60) AS statement, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements`
  const indexes = await sql`SELECT indexrelid::regclass::text AS index, indrelid::regclass::text AS "table" FROM pg_index WHERE indrelid::regclass::text LIKE 'events%'`
  const out = {
    bench: 'postgres-write-profile', date: new Date().toISOString(), events: N, batch: BATCH, batches,
    eventsPerSecond: Math.round(N / seconds),
    writerCpuUsPerEvent: Number((((used.user + used.system) / N)).toFixed(2)),
    backendCpuUsPerEvent: Number(((backendMs * 1000) / N).toFixed(2)),
    clusterCpuUsPerEvent: Number(((clusterMs * 1000) / N).toFixed(2)),
    walBytesPerEvent: Math.round(bytes / N), walRecordsPerEvent: Number(((rec1 - rec0) / N).toFixed(2)), walFpiPerEvent: Number(((fpi1 - fpi0) / N).toFixed(3)),
    statementsPerBatch: Number((statements.reduce((n, s) => n + s.calls, 0) / batches).toFixed(2)),
    statements: statements.map((s) => ({ ...s, callsPerBatch: Number((s.calls / batches).toFixed(2)), rowsPerCall: Number((s.rows / Math.max(1, s.calls)).toFixed(1)), usPerEvent: Number(((s.ms * 1000) / N).toFixed(2)), planUsPerCall: Number(((s.planMs * 1000) / Math.max(1, s.calls)).toFixed(1)), plansPerCall: Number((s.plans / Math.max(1, s.calls)).toFixed(2)), execUsPerCall: Number(((s.ms * 1000) / Math.max(1, s.calls)).toFixed(1)), walPerEvent: Math.round(s.wal / N) })),
    prepared: prepared.map((r: object) => ({ ...r })), indexes, cpus: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  }
  for (const s of out.statements) log(`${s.callsPerBatch}/batch ${s.rowsPerCall} rows/call exec ${s.execUsPerCall} µs/call (${s.usPerEvent} µs/event) plans/call ${s.plansPerCall} plan ${s.planUsPerCall} µs/call ${s.walPerEvent} WAL B/event  ${s.query}`)
  for (const p of out.prepared) log(`prepared: ${JSON.stringify(p)}`)
  log(`${out.eventsPerSecond} events/s; CPU µs/event writer ${out.writerCpuUsPerEvent}, backend ${out.backendCpuUsPerEvent}, cluster ${out.clusterCpuUsPerEvent}; WAL ${out.walBytesPerEvent} B, ${out.walRecordsPerEvent} records, ${out.walFpiPerEvent} FPI per event; ${out.statementsPerBatch} statements/batch`)
  console.log(JSON.stringify(out))
  const dir = join(import.meta.dir, 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `postgres-write-profile-${out.date.slice(0, 16).replace(':', '')}-b${BATCH}.json`), `${JSON.stringify(out, null, 2)}\n`)
  await sql.close()
} finally {
  await pg.stop()
}
