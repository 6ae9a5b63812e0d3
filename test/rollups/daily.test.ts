/**
 * `rollups_daily` (migration 7) is `rollups_hourly` summed per UTC day: after any traffic the writer sends (several
 * orgs and days, routed requests, events written twice, random batches), and after an old database is migrated.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MIGRATIONS } from '../../src/db/migrations'
import { openDatabase } from '../../src/db/open'
import { DAY_MS, HOUR_MS, type LectrEvent } from '../../src/domain'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import { rollupDeltas } from '../../src/rollups/deltas'
import { SqliteRollupStore } from '../../src/storage/sqlite/rollups'
import { eventually } from '../helpers/lectr'

const dirs: string[] = []
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-daily-'))
  dirs.push(dir)
  return join(dir, 'lectr.db')
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

function event(over: Partial<LectrEvent> = {}): LectrEvent {
  const time = over.time ?? new Date().toISOString()
  return {
    id: Bun.randomUUIDv7('hex', Date.parse(time)), time, org: 'default', provider: 'openai', providerUnknown: false,
    detection: 'exact', model: 'gpt-4o', responseModel: 'gpt-4o-2024-08-06', endpoint: 'chat/completions', stream: false,
    status: 200, errorCode: null, inputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0,
    outputTokens: 5, reasoningTokens: 0, costUsd: 0.000075, latencyMs: 120.5, ttfbMs: 80.25, feature: null, task: null,
    usageEstimated: false, registryVersion: 'test-1', ...over,
  }
}

const KEY = 'org_id, day, provider, model, feature, task'
const SUMS = `requests, errors, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_requests,
  latency_ms_sum, cache_write_tokens, cache_write_1h_tokens`
const summed = SUMS.split(',').map((c) => `SUM(${c.trim()}) AS ${c.trim()}`).join(', ')

/** rollups_daily and rollups_hourly summed per day, row for row (floats rounded: the sums are added in another order). */
function expectDailyIsHourlySummed(db: Database): number {
  const round = (rows: any[]) => rows.map((r) => ({ ...r, cost_usd: Number(r.cost_usd.toPrecision(10)), latency_ms_sum: Number(r.latency_ms_sum.toPrecision(10)) }))
  const daily = round(db.query(`SELECT ${KEY}, ${SUMS} FROM rollups_daily ORDER BY ${KEY}`).all())
  const fromHourly = round(
    db.query(`SELECT org_id, hour - hour % ${DAY_MS} AS day, provider, model, feature, task, ${summed} FROM rollups_hourly GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY ${KEY}`).all(),
  )
  expect(daily).toEqual(fromHourly)
  return daily.length
}

describe('rollups_daily', () => {
  for (const seed of [7, 2026]) {
    test(`equals the hourly roll-ups summed per day after mixed traffic (seed ${seed})`, async () => {
      const r = rng(seed)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
      const maybe = <T>(v: T, p = 0.3): T | null => (r() < p ? null : v)
      const db = openDatabase(tempPath())
      const writer = sqliteEventWriter(db, { batchSize: 1 + Math.floor(r() * 200), flushMs: 5, log: () => {} })
      const base = Date.UTC(2026, 0, 10, 0, 0, 0)
      const sent: LectrEvent[] = []
      for (let i = 0; i < 2000; i++) {
        const routed = r() < 0.1
        const e = event({
          // four days, so rows of the same key land on several days and several hours of each
          time: new Date(base + Math.floor(r() * 4 * DAY_MS)).toISOString(),
          org: pick(['default', 'acme']),
          provider: pick(['openai', 'anthropic', 'groq'] as const),
          model: maybe(pick(['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5']), 0.1),
          feature: maybe(pick(['search', 'chat'])),
          task: maybe(pick(['classification', 'generation'] as const)),
          status: pick([200, 200, 429, 500]),
          inputTokens: maybe(Math.floor(r() * 5000)),
          cachedInputTokens: maybe(Math.floor(r() * 100)),
          cacheWriteTokens: maybe(Math.floor(r() * 100)),
          cacheWrite1hTokens: maybe(Math.floor(r() * 100)),
          outputTokens: maybe(Math.floor(r() * 2000)),
          reasoningTokens: maybe(Math.floor(r() * 100)),
          costUsd: maybe(Math.round(r() * 1e6) / 1e8, 0.25),
          latencyMs: Math.round(r() * 30_000 * 100) / 100,
          ...(routed ? { routedProvider: 'anthropic', routedModel: 'claude-haiku-4-5' } : {}),
        })
        sent.push(e)
        writer.enqueue(e)
        // the same event again: stored and rolled up once
        if (r() < 0.05) writer.enqueue(pick(sent))
        if (r() < 0.01) await Bun.sleep(1)
      }
      await eventually(() => writer.pending === 0 && writer.written === sent.length)
      expect(expectDailyIsHourlySummed(db)).toBeGreaterThan(50)
      const requests = (db.query('SELECT SUM(requests) AS n FROM rollups_daily').get() as { n: number }).n
      expect(requests).toBe(sent.length)
      writer.close()
      db.close()
    })
  }

  test('a database of schema 6 gains rollups_daily filled from its hourly roll-ups, and the writer adds to both', () => {
    const path = tempPath()
    const old = new Database(path, { create: true })
    for (let v = 0; v < 6; v++) old.exec(MIGRATIONS[v]!)
    old.exec('PRAGMA user_version = 6')
    const day = Date.UTC(2026, 0, 10)
    const row = old.query(`INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, ${SUMS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    // two hours of one day (one key twice, one key once), one hour of the next day, another org
    row.run('default', day + 3 * HOUR_MS, 'openai', 'gpt-4o', 'search', '', 2, 1, 100, 10, 50, 5, 0.25, 0, 300.5, 7, 3)
    row.run('default', day + 9 * HOUR_MS, 'openai', 'gpt-4o', 'search', '', 3, 0, 200, 20, 60, 0, 0.5, 1, 200, 0, 0)
    row.run('default', day + 9 * HOUR_MS, 'anthropic', 'claude-sonnet-4-5', '', 'generation', 1, 0, 10, 0, 5, 0, 0.01, 0, 90, 4, 0)
    row.run('default', day + DAY_MS + HOUR_MS, 'openai', 'gpt-4o', 'search', '', 4, 0, 40, 0, 4, 0, 0.125, 0, 100, 0, 0)
    row.run('acme', day + 3 * HOUR_MS, 'openai', 'gpt-4o', 'search', '', 1, 0, 1, 0, 1, 0, 0.001, 0, 10, 0, 0)
    old.close()

    const db = openDatabase(path)
    expect((db.query('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(MIGRATIONS.length)
    expect(expectDailyIsHourlySummed(db)).toBe(4)
    const first = db.query("SELECT * FROM rollups_daily WHERE org_id = 'default' AND day = ? AND provider = 'openai'").get(day) as any
    expect(first).toEqual({
      org_id: 'default', day, provider: 'openai', model: 'gpt-4o', feature: 'search', task: '', requests: 5, errors: 1,
      input_tokens: 300, cached_input_tokens: 30, output_tokens: 110, reasoning_tokens: 5, cost_usd: 0.75, unpriced_requests: 1,
      latency_ms_sum: 500.5, cache_write_tokens: 7, cache_write_1h_tokens: 3,
    })
    const writer = sqliteEventWriter(db, { log: () => {} })
    writer.enqueue(event({ time: new Date(day + 5 * HOUR_MS).toISOString(), feature: 'search', inputTokens: 1000, costUsd: 0.5 }))
    writer.close()
    expectDailyIsHourlySummed(db)
    const after = db.query("SELECT requests, input_tokens, cost_usd FROM rollups_daily WHERE org_id = 'default' AND day = ? AND provider = 'openai'").get(day)
    expect(after).toEqual({ requests: 6, input_tokens: 1300, cost_usd: 1.25 })
    db.close()
  })

  test('rollupDeltas: a day row is the sum of its hours; every event counted once in each table', () => {
    const t = Date.UTC(2026, 0, 10, 23, 30)
    const events = [
      event({ time: new Date(t).toISOString() }),
      event({ time: new Date(t - HOUR_MS).toISOString(), status: 500, costUsd: null }),
      event({ time: new Date(t + HOUR_MS).toISOString() }), // the next day
      event({ time: new Date(t).toISOString(), routedProvider: 'anthropic', routedModel: 'claude-haiku-4-5' }),
    ]
    const d = rollupDeltas(events)
    expect(d.hourly.map((r) => r.requests).reduce((a, b) => a + b)).toBe(4)
    expect(d.daily.map((r) => [r.hour, r.provider, r.model, r.requests, r.errors, r.unpricedRequests])).toEqual([
      [Date.UTC(2026, 0, 10), 'openai', 'gpt-4o', 2, 1, 1],
      [Date.UTC(2026, 0, 11), 'openai', 'gpt-4o', 1, 0, 0],
      [Date.UTC(2026, 0, 10), 'anthropic', 'claude-haiku-4-5', 1, 0, 0],
    ])
    expect(d.latency.map((l) => l.requests).reduce((a, b) => a + b)).toBe(4)
    expect(d.replay.map((r) => r.requests).reduce((a, b) => a + b)).toBe(4)
    expect(rollupDeltas([])).toEqual({ hourly: [], daily: [], latency: [], replay: [] })
  })

  test('reads take a finished day from rollups_daily, but hourly rows written without it (a script) win', async () => {
    const db = openDatabase(tempPath())
    const now = Date.UTC(2026, 0, 20, 12, 30)
    const day = Date.UTC(2026, 0, 17)
    const writer = sqliteEventWriter(db, { log: () => {} })
    for (let i = 0; i < 3; i++) writer.enqueue(event({ time: new Date(day + (2 + i) * HOUR_MS).toISOString(), feature: 'search' }))
    writer.close()
    const store = new SqliteRollupStore(db, { now: () => now })
    const groupsOf = async (s: SqliteRollupStore) => (await s.usageGroups('default', day, day + DAY_MS - 1)).map((g) => [g.model, g.feature, g.requests])
    expect(await groupsOf(store)).toEqual([['gpt-4o', 'search', 3]])
    db.query(`INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, ${SUMS}) VALUES ('default', ?, 'openai', 'gpt-4o-mini', '', '', 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`).run(day + 7 * HOUR_MS)
    const fresh = new SqliteRollupStore(db, { now: () => now })
    expect(await groupsOf(fresh)).toEqual([
      ['gpt-4o', 'search', 3],
      ['gpt-4o-mini', null, 4],
    ])
    db.close()
  })
})
