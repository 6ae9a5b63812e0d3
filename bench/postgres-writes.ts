// Issue 20: events written per second by one writer into Postgres (goal ≥ 20,000/s), on a throwaway local cluster
// with the server's durable defaults (fsync, synchronous commit). One writer, one connection, batches of 1,000 (the
// SQLite writer's batch; BENCH_BATCH), each batch one transaction, three ways:
//   events          the batched insert alone (src/storage/postgres/event-batch.ts: one array per column, unnested)
//   events+rollups  the same plus its roll-up upserts in the same transaction (the store's path until 2026-12-07)
//   copy+rollups    the store's path since 2026-12-07: COPY straight into events (insertNewEventBatch: new events, no
//                   ON CONFLICT, nothing returned; a replay would fall back to the insert above), plus roll-ups
//                   (until then: COPY into a staging table, then INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING)
// Each result also has the seconds spent on roll-ups (deltas and upserts), the CPU seconds of this process and of the
// server backend that served it, and eventsPerCpuSecond: events over the larger of the two, i.e. the rate with a core
// each. On a shared, loaded machine that is the steadier figure; the wall-clock rate moves with the neighbours' load.
// BENCH_EVENTS sets events per way (default 200,000; BENCH_QUICK=1: 30,000). Prints one JSON line and writes it to
// bench/results/postgres-writes-<date>T<hhmm>.json. `make bench-postgres`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import type { SQL } from 'bun'
import { DAY_MS, HOUR_MS, type LectrEvent } from '../src/domain'
import { connectPostgres } from '../src/storage/postgres/connect'
import { insertEventBatch, insertNewEventBatch } from '../src/storage/postgres/event-batch'
import { migratePostgres } from '../src/storage/postgres/migrations'
import { PartitionDays } from '../src/storage/postgres/partitions'
import { addAllDeltas, type DeltaRow, type RollupTableName } from '../src/storage/postgres/rollup-upserts'
import { createDatabase, startPostgres } from '../test/helpers/postgres'
import { event } from '../test/helpers/event'

const QUICK = process.env.BENCH_QUICK === '1'
const N = Number(process.env.BENCH_EVENTS ?? (QUICK ? 30_000 : 200_000))
const BATCH = Number(process.env.BENCH_BATCH ?? 1000)
const log = (l: string) => console.error(`postgres-writes: ${l}`)

/** Events over two days for 3 orgs × 6 models × 4 features, a millisecond apart within each hour's run. */
function makeEvents(n: number): LectrEvent[] {
  const start = Date.UTC(2026, 11, 6)
  const models = ['gpt-4o', 'gpt-4o-mini', 'o3', 'claude-sonnet-4', 'llama-3.3-70b', 'gemini-2.5-flash']
  const features = ['chat', 'search', 'summary', null]
  return Array.from({ length: n }, (_, i) =>
    event({
      time: new Date(start + Math.floor((i / n) * 2 * DAY_MS)).toISOString(),
      org: `org-${i % 3}`,
      model: models[i % models.length]!,
      feature: features[(i >> 3) % features.length]!,
      inputTokens: 100 + (i % 900),
      outputTokens: 20 + (i % 300),
      costUsd: i % 50 === 0 ? null : 0.0001 * (i % 17),
      status: i % 40 === 0 ? 429 : 200,
      latencyMs: 50 + (i % 2000),
    }),
  )
}

/** The roll-up rows a batch adds (hourly, daily, per model hourly and daily, latency): the store's write, in shape. */
function deltasOf(events: readonly LectrEvent[]): Partial<Record<RollupTableName, DeltaRow[]>> {
  const tables: Record<string, Map<string, (string | number)[]>> = {}
  const add = (table: string, key: (string | number)[], sums: number[]) => {
    const rows = (tables[table] ??= new Map())
    const k = key.join('\u0000')
    const row = rows.get(k)
    if (!row) rows.set(k, [...key, ...sums])
    else for (let i = 0; i < sums.length; i++) (row[key.length + i] as number) += sums[i]!
  }
  for (const e of events) {
    const t = Date.parse(e.time)
    const hour = t - (t % HOUR_MS)
    const day = t - (t % DAY_MS)
    const err = e.status >= 400 ? 1 : 0
    const priced = e.costUsd === null ? 0 : 1
    const full = [1, err, e.inputTokens ?? 0, e.cachedInputTokens ?? 0, e.outputTokens ?? 0, e.reasoningTokens ?? 0, e.costUsd ?? 0, 1 - priced, e.latencyMs, 0, 0]
    const model = [1, err, e.inputTokens ?? 0, e.outputTokens ?? 0, e.costUsd ?? 0, 1 - priced, e.latencyMs, e.cachedInputTokens ?? 0, 0, 0]
    add('rollupsHourly', [e.org, hour, e.provider, e.model ?? '', e.feature ?? '', e.task ?? ''], full)
    add('rollupsDaily', [e.org, day, e.provider, e.model ?? '', e.feature ?? '', e.task ?? ''], full)
    add('modelHourly', [e.org, hour, e.provider, e.model ?? ''], model)
    add('modelDaily', [e.org, day, e.provider, e.model ?? ''], model)
    add('latencyHourly', [e.org, hour, e.provider, Math.min(30, Math.floor(Math.log2(e.latencyMs + 1)))], [1])
  }
  return Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, [...rows.values()]]))
}

type Way = 'events' | 'events+rollups' | 'copy+rollups'

/** CPU seconds (user + system) a process has used, from /proc (Linux; clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function run(sql: SQL, way: Way, events: LectrEvent[]): Promise<{ way: Way; events: number; seconds: number; eventsPerSecond: number; rollupRows: number; rollupSeconds: number; lectrCpuSeconds: number; serverCpuSeconds: number; eventsPerCpuSecond: number }> {
  const days = new PartitionDays()
  let written = 0
  let rollupRows = 0
  /** time in the roll-up part of each batch: computing the deltas and upserting them */
  let rollupMs = 0
  // One connection (the pool's max is 1), so one server backend does all of the server's work for this writer.
  const [{ pid: backend }] = await sql`SELECT pg_backend_pid() AS pid`
  const serverCpu = cpuSecondsOf(backend)
  const cpu = process.cpuUsage()
  const t = performance.now()
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH)
    await days.ensure(sql, batch.map((e) => Date.parse(e.time)))
    await sql.begin(async (tx) => {
      if (way === 'copy+rollups') {
        await insertNewEventBatch(tx, batch)
        written += batch.length
      } else {
        written += (await insertEventBatch(tx, batch)).length
      }
      if (way !== 'events') {
        const r = performance.now()
        const deltas = deltasOf(batch)
        for (const rows of Object.values(deltas)) rollupRows += rows.length
        await addAllDeltas(tx, deltas)
        rollupMs += performance.now() - r
      }
    })
  }
  const seconds = (performance.now() - t) / 1000
  const used = process.cpuUsage(cpu)
  const serverCpuSeconds = cpuSecondsOf(backend) - serverCpu
  if (written !== events.length) throw new Error(`${way}: wrote ${written} of ${events.length} events`)
  return { way, events: written, seconds: Number(seconds.toFixed(2)), eventsPerSecond: Math.round(written / seconds), rollupRows, rollupSeconds: Number((rollupMs / 1000).toFixed(2)),
    lectrCpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(2)), serverCpuSeconds: Number(serverCpuSeconds.toFixed(2)),
    // What one writer could do with a core of its own and a server core of its own: the busier of the two bounds it.
    eventsPerCpuSecond: Math.round(written / Math.max((used.user + used.system) / 1e6, serverCpuSeconds)) }
}

const pg = await startPostgres({ durable: true })
const results = []
try {
  for (const way of ['events', 'events+rollups', 'copy+rollups'] as const) {
    const url = await createDatabase(pg, `bench_${way.replace(/\W/g, '_')}`)
    const sql = connectPostgres(url, { max: 1 })
    await migratePostgres(sql)
    const events = makeEvents(N)
    log(`${way}: ${N} events in batches of ${BATCH}`)
    const r = await run(sql, way, events)
    log(`${way}: ${r.eventsPerSecond} events/s (${r.seconds} s)`)
    results.push(r)
    await sql.close()
  }
} finally {
  await pg.stop()
}

const server = Bun.spawnSync(['/usr/lib/postgresql/15/bin/postgres', '--version']).stdout.toString().trim()
const out = {
  bench: 'postgres-writes',
  date: new Date().toISOString(),
  goal: '>= 20000 events/s by one writer',
  postgres: server || 'unknown',
  settings: 'throwaway local cluster, durable defaults (fsync on, synchronous_commit on), one connection, one transaction per batch',
  batch: BATCH,
  cpus: cpus().length,
  loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  bun: Bun.version,
  results,
}
console.log(JSON.stringify(out))
const dir = join(import.meta.dir, 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, `postgres-writes-${out.date.slice(0, 16).replace(':', '')}.json`), `${JSON.stringify(out, null, 2)}\n`)
