// The model distribution with a big event log (issue 3: 10 million events, 30 days, under 50 ms).
// Builds (once, cached in bench/.cache) a database holding BENCH_EVENTS events over 90 days: the hourly roll-ups
// those events produce and the raw event rows themselves; checks on a sample that the direct build matches the real
// EventWriter; then times modelDistribution(db, 'default', {since: now - 30 days}) (median of several runs).
// Prints one JSON line. Env: BENCH_EVENTS (default 10,000,000), BENCH_QUICK=1 (default 200,000 events).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { Database } from 'bun:sqlite'
import { migrate, openDatabase } from '../../src/db/open'
import { MIGRATIONS } from '../../src/db/migrations'
import { ALL_EVENTS } from '../../src/storage/events'
import { listEvents } from '../../src/storage/sqlite/event-queries'
import { modelDistribution } from '../../src/storage/sqlite/rollups'
import builtin from '../../src/registry/builtin.json'
import { DAY_MS, HOUR_MS, hourlyCounts, makeCompact, rng, type Compact } from './generate'
import { bulkConnection, checkAgainstWriter, deriveCoarserRollups, expandEvents, RollupBuilder } from './dataset'
import { median, percentile } from '../lib/proc'

const QUICK = process.env.BENCH_QUICK === '1'
const N = Number(process.env.BENCH_EVENTS ?? (QUICK ? 200_000 : 10_000_000))
const DAYS = 90
const RUNS = QUICK ? 5 : 15
// Bump when the generator changes; the schema's own text is part of the key too, so a new migration rebuilds.
const GENERATOR_VERSION = 1
const schemaHash = Bun.hash(MIGRATIONS.join('\n') + readFileSync(join(import.meta.dir, 'dataset.ts'), 'utf8')).toString(36)
const cacheDir = join(import.meta.dir, '..', '.cache')
const cachePath = join(cacheDir, `events-${N}-g${GENERATOR_VERSION}-${schemaHash}.db`)
const log = (l: string) => console.error(`distribution: ${l}`)

function sampleEvents(count: number, endHour: number, seed: number): Compact[] {
  const r = rng(seed)
  const out: Compact[] = []
  for (const { hour, count: n } of hourlyCounts(count, 6, endHour)) {
    for (let i = 0; i < n; i++) out.push(makeCompact(r, hour + Math.floor(r() * HOUR_MS)))
  }
  return out
}

// 1. The direct build must write what the writer writes.
const scratch = mkdtempSync(join(tmpdir(), 'lectr-bench-sample-'))
const nowHour = Date.now() - (Date.now() % HOUR_MS)
const check = checkAgainstWriter(sampleEvents(QUICK ? 5_000 : 20_000, nowHour, 99), scratch)
rmSync(scratch, { recursive: true, force: true })
log(`sample check (${check.events} events through the real EventWriter vs built directly): ${check.ok ? 'same' : check.differences.join('; ')}`)

// 2. The big database, built once.
let built: { buildSeconds: number } | null = null
if (!existsSync(cachePath)) {
  mkdirSync(cacheDir, { recursive: true })
  // A database built for an older schema or generator is never used again: remove it (10M events take ~4 GB).
  for (const f of readdirSync(cacheDir)) if (f.startsWith(`events-${N}-`) && !f.startsWith(basename(cachePath))) rmSync(join(cacheDir, f), { force: true })
  const tmp = `${cachePath}.building`
  for (const suffix of ['', '-wal', '-shm']) rmSync(tmp + suffix, { force: true })
  const db = bulkConnection(tmp)
  migrate(db) // the real schema, through the real migrations
  const t0 = performance.now()
  const genNow = Date.now()
  const endHour = genNow - (genNow % HOUR_MS)
  const r = rng(2024)
  const builder = new RollupBuilder(db)
  const hours = hourlyCounts(N, DAYS * 24, endHour)
  let rollupRows = 0
  let maxRequests = 0
  db.transaction(() => {
    for (const { hour, count } of hours) {
      const events: Compact[] = new Array(count)
      for (let i = 0; i < count; i++) events[i] = makeCompact(r, hour + Math.floor(r() * HOUR_MS))
      rollupRows += builder.addHour(hour, events)
    }
  })()
  const derived = db.transaction(() => deriveCoarserRollups(db))()
  if (derived.length) log(`derived ${derived.join(', ')} from the hourly roll-ups`)
  maxRequests = (db.query('SELECT MAX(requests) AS m FROM rollups_hourly').get() as { m: number }).m
  log(`${rollupRows} roll-up rows for ${N} events in ${((performance.now() - t0) / 1000).toFixed(1)} s; now the raw events`)
  let eventRows = 0
  const first = hours[0].hour
  for (let day = 0; day < DAYS; day++) {
    const from = first + day * DAY_MS
    db.transaction(() => {
      eventRows += expandEvents(db, from, from + DAY_MS, maxRequests, (builtin as any).version)
    })()
    if (day % 10 === 9) log(`  ${eventRows} events after ${day + 1} days (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
  }
  db.exec(`CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
  const meta = db.prepare('INSERT INTO bench_meta (key, value) VALUES (?, ?)')
  meta.run('genNow', String(genNow))
  meta.run('events', String(eventRows))
  meta.run('rollupRows', String(rollupRows))
  db.close()
  renameSync(tmp, cachePath)
  openDatabase(cachePath).close() // back to WAL, as Lectr keeps it
  built = { buildSeconds: (performance.now() - t0) / 1000 }
  log(`built ${cachePath} in ${built.buildSeconds.toFixed(0)} s`)
}

// 3. Time the query the Models page and GET /api/orgs/:org/models run.
const db = openDatabase(cachePath)
const meta = Object.fromEntries((db.query('SELECT key, value FROM bench_meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]))
const genNow = Number(meta.genNow)
const since = genNow - 30 * DAY_MS
const eventRows = (db.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
const windowRows = (db.query('SELECT COUNT(*) AS n FROM rollups_hourly WHERE org_id = ? AND hour >= ?').get('default', since - (since % HOUR_MS)) as { n: number }).n
// Rows in range of every roll-up table with an hour (or day) column: what a 30-day query has to read.
const rowsIn30DaysByTable: Record<string, number> = {}
for (const { name } of db.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'events'`).all() as { name: string }[]) {
  const cols = (db.query(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => c.name)
  const col = cols.includes('hour') ? 'hour' : cols.includes('day') ? 'day' : null
  if (col && cols.includes('org_id')) rowsIn30DaysByTable[name] = (db.query(`SELECT COUNT(*) AS n FROM "${name}" WHERE org_id = ? AND ${col} >= ?`).get('default', since - (since % (col === 'day' ? DAY_MS : HOUR_MS))) as { n: number }).n
}
const time = (fn: () => unknown) => {
  const t = performance.now()
  fn()
  return performance.now() - t
}
const f = { provider: null, since, until: null }
const firstMs = time(() => modelDistribution(db, 'default', f))
const runs = Array.from({ length: RUNS }, () => time(() => modelDistribution(db, 'default', f)))
const rows = modelDistribution(db, 'default', f)
const byProvider = Array.from({ length: Math.ceil(RUNS / 2) }, () => time(() => modelDistribution(db, 'default', { provider: 'anthropic', since, until: null })))
const days90 = Array.from({ length: Math.ceil(RUNS / 2) }, () => time(() => modelDistribution(db, 'default', { provider: null, since: genNow - 90 * DAY_MS, until: null })))
const eventsPage = Array.from({ length: Math.ceil(RUNS / 2) }, () =>
  time(() => listEvents(db, 'default', ALL_EVENTS, { limit: 50, cursor: null })),
)
const requestsInWindow = rows.reduce((n, r) => n + r.requests, 0)
db.close()

console.log(
  JSON.stringify({
    events: eventRows,
    targetEvents: N,
    days: DAYS,
    cache: cachePath,
    built,
    bytes: statSync(cachePath).size,
    rollupRows: Number(meta.rollupRows),
    rollupRowsIn30Days: windowRows,
    rowsIn30DaysByTable,
    modelRows: rows.length,
    requestsIn30Days: requestsInWindow,
    firstMs,
    medianMs: median(runs),
    p90Ms: percentile(runs, 90),
    maxMs: Math.max(...runs),
    runs,
    oneProviderMedianMs: median(byProvider),
    days90MedianMs: median(days90),
    eventsFirstPageMedianMs: median(eventsPage),
    sampleCheck: check,
  }),
)
