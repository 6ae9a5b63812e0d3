/**
 * The dashboard's reads. Roll-ups for ~200k events are written straight into SQLite, and every figure the pages
 * show is checked against the same numbers summed in JavaScript. The events list, with its shortcuts for
 * filters that match little, is checked page by page against a plain scan.
 */
import { beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import type { Database } from 'bun:sqlite'
import { openDatabase } from '../../src/db/open'
import { listEvents, rangeWindow, modelRows, overview, knownValues } from '../../src/dashboard/queries'
import { idFloorOf } from '../../src/events/queries'
import { SqliteEventStore } from '../../src/storage/sqlite/events'
import { modelDistribution, SqliteRollupStore } from '../../src/storage/sqlite/rollups'
import { bucketUpperMs, latencyBucket, percentileFromBuckets } from '../../src/rollups/latency-buckets'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import type { LectrEvent } from '../../src/events/types'
import type { EventFilters } from '../../views/types'
import type { UsageGroup } from '../../src/domain'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const NOW = Date.parse('2025-03-14T12:34:56Z')
const NOW_HOUR = NOW - (NOW % HOUR)

describe('rangeWindow', () => {
  test('24 hourly, 28 six-hourly, 30 daily slices, aligned to UTC, the last one holding now', async () => {
    expect(rangeWindow('24h', NOW)).toEqual({ range: '24h', from: NOW_HOUR - 23 * HOUR, to: NOW_HOUR + HOUR, bucketMs: HOUR, buckets: 24 })
    expect(rangeWindow('7d', NOW)).toEqual({ range: '7d', from: Date.parse('2025-03-07T18:00:00Z'), to: Date.parse('2025-03-14T18:00:00Z'), bucketMs: 6 * HOUR, buckets: 28 })
    expect(rangeWindow('30d', NOW)).toEqual({ range: '30d', from: Date.parse('2025-02-13T00:00:00Z'), to: Date.parse('2025-03-15T00:00:00Z'), bucketMs: DAY, buckets: 30 })
  })
})

interface Row {
  org: string
  hour: number
  provider: string
  model: string
  feature: string
  task: string
  requests: number
  errors: number
  input: number
  output: number
  cost: number
  unpriced: number
  latency: number
}

const MODELS: [provider: string, model: string, priced: boolean][] = [
  ['openai', 'gpt-4o', true],
  ['openai', 'gpt-4o-mini', true],
  ['anthropic', 'claude-3-5-sonnet', true],
  ['groq', 'llama-3.1-70b-versatile', true],
  ['azure', 'my-deployment', false],
]
const FEATURES = ['', 'search', 'checkout', '<img src=x onerror=alert(1)>']
const TASKS = ['', 'classification']

/** A deterministic pseudo-random sequence. */
function rng(seed: number) {
  let s = seed
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
}

/** The usage groups summed straight from rollups_hourly (what the admin API read before RollupStore): the reference. */
function hourlyGroups(db: Database, org: string, since: number, until: number): UsageGroup[] {
  const from = since - (since % HOUR)
  const to = until - (until % HOUR) + HOUR
  return (
    db
      .query(
        `SELECT provider, model, task, feature, SUM(requests) AS requests, SUM(input_tokens) AS inputTokens,
                SUM(cached_input_tokens) AS cachedInputTokens, SUM(cache_write_tokens) AS cacheWriteTokens,
                SUM(cache_write_1h_tokens) AS cacheWrite1hTokens, SUM(output_tokens) AS outputTokens,
                SUM(cost_usd) AS costUsd, SUM(unpriced_requests) AS unpricedRequests
         FROM rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ? GROUP BY provider, model, task, feature`,
      )
      .all(org, from, to) as any[]
  ).map((r) => ({ ...r, task: r.task || null, feature: r.feature || null }))
}

describe('roll-up reads with ~200k events', () => {
  let db: Database
  /** a fresh day cache per test: every read below goes through it (whole days kept, the rest read live) */
  let days: SqliteRollupStore
  const rows: Row[] = []
  const latency = new Map<string, number>() // org|hour|provider|bucket -> requests

  beforeAll(() => {
    db = openDatabase(':memory:')
    const rand = rng(7)
    // 40 days back (beyond the 30-day range) to 2 hours ahead (clock skew): every hour, every org, a few groups.
    for (let hour = NOW_HOUR - 40 * DAY; hour <= NOW_HOUR + 2 * HOUR; hour += HOUR) {
      for (const org of ['default', 'acme']) {
        for (const [provider, model, priced] of MODELS) {
          if (rand() < 0.3) continue
          const feature = FEATURES[Math.floor(rand() * FEATURES.length)]!
          const task = TASKS[Math.floor(rand() * TASKS.length)]!
          const requests = 1 + Math.floor(rand() * 58)
          const errors = Math.floor(requests * rand() * 0.1)
          const r: Row = {
            org, hour, provider, model, feature, task, requests, errors,
            input: requests * 800, output: requests * 150,
            cost: priced ? Math.round(requests * rand() * 1e6) / 1e8 : 0,
            unpriced: priced ? 0 : requests,
            latency: requests * (200 + rand() * 3000),
          }
          rows.push(r)
          // Spread the group's requests over two latency buckets.
          const fast = Math.ceil(requests / 2)
          for (const [ms, n] of [[250 + rand() * 500, fast], [1000 + rand() * 8000, requests - fast]] as const) {
            if (n === 0) continue
            const key = `${org}|${hour}|${provider}|${latencyBucket(ms)}`
            latency.set(key, (latency.get(key) ?? 0) + n)
          }
        }
      }
    }
    const insert = db.prepare(
      `INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens, cached_input_tokens,
        output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?, ?)`,
    )
    const insertLatency = db.prepare('INSERT INTO latency_hourly (org_id, hour, provider, bucket, requests) VALUES (?, ?, ?, ?, ?)')
    db.transaction(() => {
      for (const r of rows) insert.run(r.org, r.hour, r.provider, r.model, r.feature, r.task, r.requests, r.errors, r.input, r.output, r.cost, r.unpriced, r.latency)
      for (const [key, n] of latency) {
        const [org, hour, provider, bucket] = key.split('|')
        insertLatency.run(org!, Number(hour), provider!, Number(bucket), n)
      }
      // the writer keeps the same sums per model alone, for the model table
      db.exec(`INSERT INTO model_rollups_hourly SELECT org_id, hour, provider, model, SUM(requests), SUM(errors), SUM(input_tokens),
        SUM(output_tokens), SUM(cost_usd), SUM(unpriced_requests), SUM(latency_ms_sum), SUM(cached_input_tokens), SUM(cache_write_tokens),
        SUM(cache_write_1h_tokens) FROM rollups_hourly GROUP BY org_id, hour, provider, model`)
      db.exec(`INSERT INTO rollups_daily SELECT org_id, hour - hour % 86400000, provider, model, feature, task, SUM(requests), SUM(errors),
        SUM(input_tokens), SUM(cached_input_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_usd), SUM(unpriced_requests),
        SUM(latency_ms_sum), SUM(cache_write_tokens), SUM(cache_write_1h_tokens)
        FROM rollups_hourly GROUP BY org_id, hour - hour % 86400000, provider, model, feature, task`)
      db.exec(`INSERT INTO model_rollups_daily SELECT org_id, hour - hour % 86400000, provider, model, SUM(requests), SUM(errors),
        SUM(input_tokens), SUM(output_tokens), SUM(cost_usd), SUM(unpriced_requests), SUM(latency_ms_sum),
        SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(cache_write_1h_tokens)
        FROM rollups_hourly GROUP BY org_id, hour - hour % 86400000, provider, model`)
    })()
  })

  beforeEach(() => {
    days = new SqliteRollupStore(db, { now: () => NOW })
  })

  test('there are about 200k events behind the roll-ups', async () => {
    const total = rows.reduce((n, r) => n + r.requests, 0)
    expect(total).toBeGreaterThan(150_000)
    expect(total).toBeLessThan(300_000)
  })

  const inWindow = (range: '24h' | '7d' | '30d', org = 'default') => {
    const w = rangeWindow(range, NOW)
    return rows.filter((r) => r.org === org && r.hour >= w.from && r.hour < w.to)
  }
  const sum = <T>(rs: T[], f: (r: T) => number) => rs.reduce((n, r) => n + f(r), 0)

  for (const range of ['24h', '7d', '30d'] as const) {
    test(`overview ${range}: totals, p95 and every bucket`, async () => {
      const data = await overview(days, 'default', range, NOW)
      const mine = inWindow(range)
      const requests = sum(mine, (r) => r.requests)
      expect(data.totals.requests).toBe(requests)
      expect(data.totals.costUsd).toBeCloseTo(sum(mine, (r) => r.cost), 6)
      expect(data.totals.unpricedRequests).toBe(sum(mine, (r) => r.unpriced))
      expect(data.totals.errorRate!).toBeCloseTo(sum(mine, (r) => r.errors) / requests, 12)
      expect(data.totals.avgLatencyMs!).toBeCloseTo(sum(mine, (r) => r.latency) / requests, 6)

      const w = rangeWindow(range, NOW)
      const counts = new Map<number, number>()
      for (const [key, n] of latency) {
        const [org, hour, , bucket] = key.split('|')
        if (org === 'default' && Number(hour) >= w.from && Number(hour) < w.to) counts.set(Number(bucket), (counts.get(Number(bucket)) ?? 0) + n)
      }
      const expectedP95 = percentileFromBuckets([...counts].map(([bucket, n]) => ({ bucket, requests: n })), 0.95)
      expect(data.totals.p95LatencyMs).toBe(expectedP95)
      expect(expectedP95).toBeGreaterThan(bucketUpperMs(latencyBucket(1000)))

      expect(data.buckets).toHaveLength(w.buckets)
      data.buckets.forEach((b, i) => {
        const start = w.from + i * w.bucketMs
        expect(b.start).toBe(new Date(start).toISOString())
        const slice = mine.filter((r) => r.hour >= start && r.hour < start + w.bucketMs)
        expect(b.requests).toBe(sum(slice, (r) => r.requests))
        expect(b.errors).toBe(sum(slice, (r) => r.errors))
        expect(b.costUsd).toBeCloseTo(sum(slice, (r) => r.cost), 6)
      })
      expect(sum(data.buckets, (b) => b.requests)).toBe(requests)

      expect(data.totals.inputTokens).toBe(sum(mine, (r) => r.input))
      expect(data.totals.outputTokens).toBe(sum(mine, (r) => r.output))
      // by provider and by feature: the same sums per key, most cost first
      for (const [rowsOf, keyOf] of [
        [data.byProvider, (r: Row) => r.provider],
        [data.byFeature, (r: Row) => r.feature],
      ] as const) {
        const keys = new Set(mine.filter((r) => r.requests > 0).map(keyOf))
        if (rowsOf === data.byFeature) expect(rowsOf.length + (data.otherFeatures?.features ?? 0)).toBe(keys.size)
        else expect(rowsOf.length).toBe(keys.size)
        for (const row of rowsOf) {
          const of = mine.filter((r) => keyOf(r) === row.key)
          expect(row.requests).toBe(sum(of, (r) => r.requests))
          expect(row.costUsd).toBeCloseTo(sum(of, (r) => r.cost), 6)
          expect(row.unpricedRequests).toBe(sum(of, (r) => r.unpriced))
        }
        expect(rowsOf.map((r) => r.costUsd)).toEqual([...rowsOf.map((r) => r.costUsd)].sort((x, y) => y - x))
      }
      expect(sum(data.byProvider, (r) => r.requests)).toBe(requests)
      expect(sum(data.byFeature, (r) => r.requests) + (data.otherFeatures?.requests ?? 0)).toBe(requests)
    })
  }

  test('the models table covers the same window as the overview, per provider too', async () => {
    for (const range of ['24h', '7d', '30d'] as const) {
      for (const provider of [null, 'openai', 'azure']) {
        const got = await modelRows(days, 'default', provider, range, NOW)
        const mine = inWindow(range).filter((r) => !provider || r.provider === provider)
        const models = [...new Set(mine.map((r) => `${r.provider}|${r.model}`))]
        expect(got).toHaveLength(models.length)
        for (const row of got) {
          const rs = mine.filter((r) => r.model === row.model && r.provider === row.provider)
          expect(row.requests).toBe(sum(rs, (r) => r.requests))
          expect(row.costUsd).toBeCloseTo(sum(rs, (r) => r.cost), 6)
          expect(row.unpricedRequests).toBe(sum(rs, (r) => r.unpriced))
          expect(row.avgLatencyMs).toBeCloseTo(sum(rs, (r) => r.latency) / row.requests, 1)
        }
        if (range === '30d' && !provider) expect(sum(got, (r) => r.requests)).toBe((await overview(days, 'default', range, NOW)).totals.requests)
      }
    }
  })

  test('the same numbers as the admin API (modelDistribution, usageGroups), read twice (cold, then from the kept days)', async () => {
    for (const range of ['24h', '7d', '30d'] as const) {
      const w = rangeWindow(range, NOW)
      const admin = modelDistribution(db, 'default', { provider: null, since: w.from, until: w.to - 1 })
      const sort = <T extends { model: string; provider: string }>(rows: T[]) => [...rows].sort((a, b) => (a.provider + a.model).localeCompare(b.provider + b.model))
      for (let pass = 0; pass < 2; pass++) {
        const mine = await modelRows(days, 'default', null, range, NOW)
        expect(sort(mine).map((r) => ({ ...r, costUsd: Math.round(r.costUsd * 1e6) }))).toEqual(sort(admin).map((r) => ({ ...r, costUsd: Math.round(r.costUsd * 1e6) })))
      }
    }
    const since = NOW - 30 * DAY
    const key = (g: { provider: string; model: string; task: string | null; feature: string | null }) => `${g.provider}|${g.model}|${g.task}|${g.feature}`
    const mine = new Map((await days.usageGroups('default', since, NOW)).map((g) => [key(g), g]))
    const admin = hourlyGroups(db, 'default', since, NOW)
    expect(mine.size).toBe(admin.length)
    for (const g of admin) {
      const m = mine.get(key(g))!
      expect({ ...m, costUsd: 0 }).toEqual({ ...g, costUsd: 0 } as never)
      expect(m.costUsd).toBeCloseTo(g.costUsd, 8)
    }
  })

  test('any window, its edges inside a day or not: the groups and hours are those of the hourly roll-ups in it', async () => {
    const key = (g: { provider: string; model: string; task: string | null; feature: string | null }) => `${g.provider}|${g.model}|${g.task}|${g.feature}`
    // edges early, mid and late in a finished day, and today's partial day (beyond it: the rows 2 hours ahead)
    for (const [back, ahead] of [[3 * DAY + 1 * HOUR, 0], [3 * DAY + 5 * HOUR, -3 * HOUR], [2 * DAY - 13 * HOUR, 0], [5 * DAY - 23 * HOUR, -20 * HOUR], [HOUR, 0]]) {
      const since = NOW_HOUR - back!
      const until = NOW + ahead!
      for (let pass = 0; pass < 2; pass++) {
        const mine = new Map((await days.usageGroups('default', since, until)).map((g) => [key(g), g]))
        const expected = hourlyGroups(db, 'default', since, until)
        expect(mine.size).toBe(expected.length)
        for (const g of expected) {
          const m = mine.get(key(g))!
          expect({ ...m, costUsd: 0 }).toEqual({ ...g, costUsd: 0 } as never)
          expect(m.costUsd).toBeCloseTo(g.costUsd, 8)
        }
        const from = since - (since % HOUR)
        const to = until - (until % HOUR) + HOUR
        const span = await days.span('default', from, to, 'all')
        const hours = rows.filter((r) => r.org === 'default' && r.hour >= from && r.hour < to)
        expect([...span.hours.keys()].sort()).toEqual([...new Set(hours.map((r) => r.hour))].sort())
        expect([...span.hours.values()].reduce((n, s) => n + s.requests, 0)).toBe(sum(hours, (r) => r.requests))
        expect([...span.groups.values()].reduce((n, g) => n + g.requests, 0)).toBe(sum(hours, (r) => r.requests))
      }
    }
  })

  test('orgs never see each other, and an org without traffic gets empty buckets', async () => {
    const acme = await overview(days, 'acme', '24h', NOW)
    expect(acme.totals.requests).toBe(sum(inWindow('24h', 'acme'), (r) => r.requests))
    const none = await overview(days, 'nobody', '7d', NOW)
    expect(none.totals).toEqual({ requests: 0, costUsd: 0, unpricedRequests: 0, avgLatencyMs: null, p95LatencyMs: null, errorRate: null, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 })
    expect(none.byProvider).toEqual([])
    expect(none.byFeature).toEqual([])
    expect(none.buckets).toHaveLength(28)
    expect(none.buckets.every((b) => b.requests === 0)).toBe(true)
    expect(await modelRows(days, 'nobody', null, '30d', NOW)).toEqual([])
  })

  test('suggestions for the events filters: the last week of model ids and features', async () => {
    const known = await knownValues(days, 'default', NOW)
    expect(known.models).toEqual(MODELS.map(([, m]) => m).sort())
    expect(known.features).toEqual(FEATURES.filter(Boolean).sort())
  })

  test('the roll-up reads use the primary key, never a full scan', async () => {
    const plans = [
      `SELECT (hour - 1) / 2 AS i, SUM(requests) FROM rollups_hourly WHERE org_id = 'x' AND hour >= 1 AND hour < 2 GROUP BY i`,
      `SELECT bucket, SUM(requests) FROM latency_hourly WHERE org_id = 'x' AND hour >= 1 AND hour < 2 GROUP BY bucket`,
    ].map((sql) => (db.query(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | '))
    for (const plan of plans) expect(plan).toMatch(/SEARCH \w+ USING PRIMARY KEY \(org_id=\? AND hour>\? AND hour<\?\)/)
  })
})

describe('the events list', () => {
  let db: Database
  let days: SqliteRollupStore
  const all: LectrEvent[] = []

  const event = (i: number, time: number, over: Partial<LectrEvent>): LectrEvent => ({
    id: Bun.randomUUIDv7('hex', time), time: new Date(time).toISOString(), org: 'default', provider: 'openai', providerUnknown: false,
    detection: 'exact', model: 'gpt-4o-mini', responseModel: null, endpoint: 'chat/completions' as LectrEvent['endpoint'], stream: false,
    status: 200, errorCode: null, inputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 5, reasoningTokens: 0, costUsd: 0.001 * i,
    latencyMs: 100, ttfbMs: null, feature: null, task: null, usageEstimated: false, registryVersion: 'test',
    routedProvider: null, routedModel: null, ruleId: null, arm: null, routeSkipped: null, attempts: null, baselineCostUsd: null, ...over,
  })

  beforeAll(() => {
    db = openDatabase(':memory:')
    const writer = sqliteEventWriter(db, { log: () => {} })
    // 10 days of mostly gpt-4o-mini; a rare model every ~9 hours, errors now and then, another org in between.
    const rand = rng(11)
    let i = 0
    for (let t = NOW - 10 * DAY; t < NOW; t += 20_000 + Math.floor(rand() * 20_000)) {
      i++
      const over: Partial<LectrEvent> = {}
      if (i % 1500 === 0) Object.assign(over, { model: 'rare-model', provider: 'groq', feature: 'nightly' })
      if (rand() < 0.01) over.status = rand() < 0.5 ? 500 : 429
      if (rand() < 0.2) over.org = 'acme'
      if (rand() < 0.1) over.task = 'classification'
      all.push(event(i, t, over))
    }
    for (const e of all) writer.enqueue(e)
    writer.close()
    days = new SqliteRollupStore(db, { now: () => NOW })
  })

  /** The plain answer: filter everything, newest id first. */
  function reference(f: EventFilters, org = 'default'): string[] {
    return all
      .filter((e) => e.org === org)
      .filter((e) => (!f.provider || e.provider === f.provider) && (!f.model || e.model === f.model) && (!f.feature || e.feature === f.feature) && (!f.task || e.task === f.task))
      .filter((e) => (f.status === 'ok' ? e.status < 400 : f.status === 'error' ? e.status >= 400 : true))
      .map((e) => e.id)
      .sort()
      .reverse()
  }

  /** Every page through the cursor, concatenated. */
  async function pages(f: EventFilters, limit: number, org = 'default', scanBudget?: number): Promise<{ ids: string[]; pages: number; short: number }> {
    const ids: string[] = []
    let cursor: string | null = null
    let n = 0
    let short = 0
    do {
      const page = await listEvents(new SqliteEventStore(db), days, org, f, cursor, NOW, { limit, scanBudget })
      ids.push(...page.rows.map((e) => e.id))
      expect(page.rows.length).toBeLessThanOrEqual(limit)
      if (page.next && page.rows.length < limit) short++
      cursor = page.next
      n++
    } while (cursor && n < 1000)
    return { ids, pages: n, short }
  }

  const none: EventFilters = { provider: null, model: null, feature: null, task: null, status: null }
  const cases: [string, EventFilters, number][] = [
    ['no filter', none, 500],
    ['status ok', { ...none, status: 'ok' }, 500],
    ['status error (rare)', { ...none, status: 'error' }, 50],
    ['a rare model', { ...none, model: 'rare-model' }, 5],
    ['a rare feature and provider', { ...none, provider: 'groq', feature: 'nightly' }, 3],
    ['task and error', { ...none, task: 'classification', status: 'error' }, 4],
    ['nothing matches', { ...none, model: 'no-such-model' }, 50],
  ]
  for (const [name, f, limit] of cases) {
    test(`${name}: the same events as a plain scan, in order, page after page`, async () => {
      const expected = reference(f)
      const got = await pages(f, limit)
      expect(got.ids).toEqual(expected)
      expect(got.pages).toBe(Math.max(1, Math.ceil(expected.length / limit)))
    })
    test(`${name}: with a small scan budget, shorter pages, still every event once and in order`, async () => {
      const got = await pages(f, limit, 'default', 2500)
      expect(got.ids).toEqual(reference(f))
    })
  }

  test('a rare filter skips the hours without matches: a page reads little more than the hours that match', async () => {
    // The rare model comes about every 12 hours: a page of 5 would need some 7,500 events without skipping.
    const got = await pages({ ...none, model: 'rare-model' }, 5, 'default', 2500)
    expect(got.ids).toEqual(reference({ ...none, model: 'rare-model' }))
    expect(got.short).toBe(0)
  })

  test('ids that are not UUIDv7: still right, without skipping', async () => {
    const other = openDatabase(':memory:')
    const writer = sqliteEventWriter(other, { log: () => {} })
    const mine = all.slice(0, 6000).map((e, i) => ({ ...e, id: `evt_${String(i).padStart(6, '0')}`, org: 'default' }))
    for (const e of mine) writer.enqueue(e)
    writer.close()
    const otherDays = new SqliteRollupStore(other, { now: () => NOW })
    const ids: string[] = []
    let cursor: string | null = null
    for (let n = 0; n < 100; n++) {
      const page = await listEvents(new SqliteEventStore(other), otherDays, 'default', { ...none, status: 'error' }, cursor, NOW, { limit: 7, scanBudget: 2500 })
      ids.push(...page.rows.map((e) => e.id))
      cursor = page.next
      if (!cursor) break
    }
    expect(ids).toEqual(mine.filter((e) => e.status >= 400).map((e) => e.id).reverse())
  })

  test('the other org sees only its own', async () => {
    expect((await pages(none, 1000, 'acme')).ids).toEqual(reference(none, 'acme'))
  })

  test('rows are full events', async () => {
    const first = (await listEvents(new SqliteEventStore(db), days, 'default', { ...none, model: 'rare-model' }, null, NOW, { limit: 1 })).rows[0]!
    expect(first).toEqual(all.filter((e) => e.org === 'default' && e.model === 'rare-model').at(-1)!)
  })

  test('idFloorOf is below every id minted in that millisecond and above every earlier one', async () => {
    const t = Date.parse('2025-03-14T12:00:00Z')
    for (let k = 0; k < 100; k++) {
      expect(Bun.randomUUIDv7('hex', t) >= idFloorOf(t)).toBe(true)
      expect(Bun.randomUUIDv7('hex', t - 1) < idFloorOf(t)).toBe(true)
    }
  })

  test('a filtered page reads a bounded range of the (org_id, id) index', async () => {
    const plan = (db.query(`EXPLAIN QUERY PLAN SELECT id FROM events WHERE org_id = ? AND model = ? AND id >= ? ORDER BY id DESC LIMIT 51`).all('a', 'b', 'c') as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ')
    expect(plan).toContain('USING INDEX events_org_id (org_id=? AND id>?)')
  })
})
