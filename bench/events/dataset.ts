// The roll-ups (and raw rows) that a stream of events leaves in the database, written directly instead of event
// by event, so that a 10-million-event log can be built in about a minute. `checkAgainstWriter` proves on a
// sample that this gives exactly what the real EventWriter writes.
import type { Database } from 'bun:sqlite'
import { Database as SqliteDatabase } from 'bun:sqlite'
import { latencyBucket } from '../../src/rollups/latency-buckets'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import { openDatabase } from '../../src/db/open'
import { FEATURES, HOUR_MS, MODELS, TASKS, toEvent, type Compact } from './generate'

const F = FEATURES.length
const T = TASKS.length
const COMBOS = MODELS.length * F * T
const FIELDS = 9 // requests, errors, input, cached, output, reasoning, cost, unpriced, latencySum

/** Adds one hour of events to the roll-up tables, as the writer's roll-ups would have it. Returns rows written. */
export class RollupBuilder {
  private acc = new Float64Array(COMBOS * FIELDS)
  private used = new Uint8Array(COMBOS)
  private insertRollup
  private insertLatency

  constructor(private db: Database) {
    this.insertRollup = db.prepare(
      `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens,
        cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum)
       VALUES ('default', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.insertLatency = db.prepare(`INSERT INTO latency_hourly (org_id, hour, provider, bucket, requests) VALUES ('default', ?, ?, ?, ?)`)
  }

  addHour(hour: number, events: Compact[]): number {
    const { acc, used } = this
    acc.fill(0)
    used.fill(0)
    const latency = new Map<string, number>()
    for (const e of events) {
      const c = (e.model * F + e.feature) * T + e.task
      const o = c * FIELDS
      used[c] = 1
      acc[o]++
      if (e.status >= 400) acc[o + 1]++
      acc[o + 2] += e.inputTokens ?? 0
      acc[o + 3] += e.cachedInputTokens ?? 0
      acc[o + 4] += e.outputTokens ?? 0
      acc[o + 5] += e.reasoningTokens ?? 0
      if (e.costUsd === null) acc[o + 7]++
      else acc[o + 6] += e.costUsd
      acc[o + 8] += e.latencyMs
      const key = `${MODELS[e.model].provider}\u0000${latencyBucket(e.latencyMs)}`
      latency.set(key, (latency.get(key) ?? 0) + 1)
    }
    let rows = 0
    for (let c = 0; c < COMBOS; c++) {
      if (!used[c]) continue
      const o = c * FIELDS
      const task = c % T
      const feature = Math.floor(c / T) % F
      const model = Math.floor(c / (T * F))
      this.insertRollup.run(
        hour, MODELS[model].provider, MODELS[model].id, FEATURES[feature] ?? '', TASKS[task] ?? '',
        acc[o], acc[o + 1], acc[o + 2], acc[o + 3], acc[o + 4], acc[o + 5], acc[o + 6], acc[o + 7], acc[o + 8],
      )
      rows++
    }
    for (const [key, n] of latency) {
      const [provider, bucket] = key.split('\u0000')
      this.insertLatency.run(hour, provider, Number(bucket), n)
    }
    return rows
  }
}

/**
 * Raw event rows for the roll-ups of [from, to): each roll-up row becomes `requests` events (spread over its
 * hour, UUIDv7-shaped ids in time order) whose tokens, cost and latency add up to the roll-up's. One INSERT ...
 * SELECT joined with a numbers table, all inside SQLite.
 */
export function expandEvents(db: Database, from: number, to: number, maxRequests: number, registryVersion: string): number {
  // A numbers table with an integer key: the join below is then a range on that key for each roll-up row.
  db.exec('CREATE TEMP TABLE IF NOT EXISTS bench_numbers (i INTEGER PRIMARY KEY)')
  const have = (db.query('SELECT COALESCE(MAX(i), 0) AS m FROM bench_numbers').get() as { m: number }).m
  if (have < maxRequests) {
    db.query('WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) INSERT INTO bench_numbers SELECT i FROM n').run(have + 1, maxRequests)
  }
  const r = db
    .query(
      `INSERT OR IGNORE INTO events (id, time, org_id, provider, provider_unknown, detection, model, response_model, endpoint,
         stream, status, error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd,
         latency_ms, ttfb_ms, feature, task, usage_estimated, registry_version)
       SELECT printf('%08x-%04x-7%03x-%04x-%012x', t / 65536, t % 65536, abs(random()) % 4096, 32768 + abs(random()) % 16384,
                     abs(random()) % 281474976710656),
              t, org_id, provider, 0, CASE provider WHEN 'azure' THEN 'header' ELSE 'exact' END, model,
              CASE WHEN failed THEN NULL ELSE model END, 'chat/completions', i % 3 = 0,
              CASE WHEN failed THEN 429 ELSE 200 END, CASE WHEN failed THEN 'rate_limit_exceeded' END,
              CASE WHEN failed THEN NULL ELSE input_tokens / ok + (CASE WHEN first THEN input_tokens % ok ELSE 0 END) END,
              CASE WHEN failed THEN NULL ELSE cached_input_tokens / ok + (CASE WHEN first THEN cached_input_tokens % ok ELSE 0 END) END,
              CASE WHEN failed THEN NULL ELSE output_tokens / ok + (CASE WHEN first THEN output_tokens % ok ELSE 0 END) END,
              CASE WHEN failed THEN NULL ELSE reasoning_tokens / ok + (CASE WHEN first THEN reasoning_tokens % ok ELSE 0 END) END,
              CASE WHEN failed THEN 0 WHEN unpriced_requests > 0 THEN NULL ELSE cost_usd / ok END,
              round(latency_ms_sum / requests, 2), round(latency_ms_sum / requests * 0.3, 2),
              NULLIF(feature, ''), NULLIF(task, ''), 0, ?3
       FROM (SELECT r.*, n.i AS i, n.i <= r.errors AS failed, n.i = r.errors + 1 AS first, max(1, r.requests - r.errors) AS ok,
                    r.hour + (n.i * 2654435761 + r.requests * 40503) % 3600000 AS t
             FROM rollups_hourly r JOIN bench_numbers n ON n.i BETWEEN 1 AND r.requests
             WHERE r.org_id = 'default' AND r.hour >= ?1 AND r.hour < ?2)`,
    )
    .run(from, to, registryVersion)
  return r.changes
}

const NOT_ROLLUPS = new Set(['events', 'meta', 'orgs', 'org_keys', 'sessions', 'azure_settings', 'bench_meta', 'rollups_hourly', 'latency_hourly', 'replay_rollups_daily'])

/**
 * Fills every coarser roll-up table from `rollups_hourly`: any table whose columns all exist there (or are a
 * `day` derived from `hour`) is its primary-key columns grouped and its other columns summed. A roll-up that
 * cannot be derived that way stays empty, and `checkAgainstWriter` reports it.
 */
export function deriveCoarserRollups(db: Database): string[] {
  const source = new Set((db.query(`PRAGMA table_info(rollups_hourly)`).all() as { name: string }[]).map((c) => c.name))
  const filled: string[] = []
  const tables = (db.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name)
  for (const t of tables) {
    if (NOT_ROLLUPS.has(t) || t.startsWith('bench_')) continue
    const cols = db.query(`PRAGMA table_info("${t}")`).all() as { name: string; pk: number }[]
    const expr = (c: string) => (c === 'day' ? `hour - hour % ${24 * HOUR_MS}` : c)
    if (!cols.every((c) => source.has(c.name) || c.name === 'day')) continue
    const keys = cols.filter((c) => c.pk > 0)
    if (keys.length === 0) continue
    const select = cols.map((c) => (c.pk > 0 ? expr(c.name) : `SUM(${c.name})`)).join(', ')
    db.exec(`INSERT INTO "${t}" (${cols.map((c) => c.name).join(', ')}) SELECT ${select} FROM rollups_hourly GROUP BY ${keys.map((c) => expr(c.name)).join(', ')}`)
    filled.push(t)
  }
  return filled
}

/** Every table the writer maintains besides the raw events, in a comparable form (sorted rows, rounded floats). */
function derivedTables(db: Database): Record<string, string[]> {
  // replay_rollups_daily is filled from the raw events (REPLAY_BACKFILL_SQL, bench/routing.ts); that it equals
  // the writer's is tested in test/routing/dry-run.test.ts.
  const skip = new Set(['events', 'meta', 'orgs', 'org_keys', 'sessions', 'azure_settings', 'bench_meta', 'replay_rollups_daily'])
  const names = (db.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[])
    .map((r) => r.name)
    .filter((n) => !skip.has(n))
  const out: Record<string, string[]> = {}
  for (const name of names) {
    out[name] = (db.query(`SELECT * FROM "${name}"`).values() as unknown[][])
      .map((row) => JSON.stringify(row.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v))))
      .sort()
  }
  return out
}

/**
 * Writes the same events once through the real EventWriter and once through RollupBuilder, and compares every
 * table the writer maintains (all but the raw events). A difference means the direct builder no longer matches
 * the writer (a new roll-up, a changed key), and the 10M figures would not be honest.
 */
export function checkAgainstWriter(events: Compact[], dir: string): { ok: boolean; events: number; rowsCompared: number; differences: string[] } {
  const viaWriter = openDatabase(`${dir}/sample-writer.db`)
  const writer = sqliteEventWriter(viaWriter, { log: () => {} })
  for (const e of events) writer.enqueue(toEvent(e, Bun.randomUUIDv7()))
  writer.close()
  const direct = openDatabase(`${dir}/sample-direct.db`)
  const builder = new RollupBuilder(direct)
  const byHour = new Map<number, Compact[]>()
  for (const e of events) {
    const h = e.time - (e.time % HOUR_MS)
    if (!byHour.has(h)) byHour.set(h, [])
    byHour.get(h)!.push(e)
  }
  direct.transaction(() => {
    for (const [h, list] of byHour) builder.addHour(h, list)
    deriveCoarserRollups(direct)
  })()
  const a = derivedTables(viaWriter)
  const b = derivedTables(direct)
  const differences: string[] = []
  let rowsCompared = 0
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const ra = a[name] ?? []
    const rb = b[name] ?? []
    rowsCompared += ra.length
    if (ra.length !== rb.length) differences.push(`${name}: ${ra.length} rows via the writer, ${rb.length} built directly`)
    else if (ra.some((row, i) => row !== rb[i])) differences.push(`${name}: same row count, different values`)
  }
  const writtenEvents = (viaWriter.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
  if (writtenEvents !== events.length) differences.push(`events: the writer stored ${writtenEvents} of ${events.length}`)
  viaWriter.close()
  direct.close()
  return { ok: differences.length === 0, events: events.length, rowsCompared, differences }
}

/** A plain connection for bulk building: no journal, no fsync, a big cache. */
export function bulkConnection(path: string): Database {
  const db = new SqliteDatabase(path, { strict: true })
  db.exec('PRAGMA journal_mode = OFF')
  db.exec('PRAGMA synchronous = OFF')
  db.exec('PRAGMA cache_size = -1048576')
  db.exec('PRAGMA temp_store = MEMORY')
  return db
}
