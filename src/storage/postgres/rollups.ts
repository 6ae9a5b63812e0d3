/**
 * The Postgres `RollupStore`: the same answers as `SqliteRollupStore` (test/storage/contract/rollups.test.ts), read
 * from Postgres at every call. No day cache: several instances write the roll-ups, and a cache would have to hear of
 * every other instance's writes; Postgres keeps the hot days in its own buffers for all of them.
 *
 * A span is put together from the same pieces, in the same order, with the same additions in JavaScript as SQLite's
 * (the finished whole days in the middle summed first, the partial days at the edges read or taken off a whole day),
 * from sums that equal SQLite's bit for bit (rollup-spans.ts), so its floats serialise as SQLite's do.
 */
import type { SQL } from 'bun'
import { DAY_MS, HOUR_MS, type UsageGroup } from '../../domain'
import { idFloorOf } from '../../events/queries'
import { shownColumn, shownString } from '../../limits'
import type { Registry } from '../../registry/schema'
import type { ReplayRow } from '../../routing/dry-run'
import { dayOf, matchingRequests, subtractSums, usageGroupOf, type ModelRow, type RepriceResult, type RollupFilter, type RollupStore, type Span, type SpanParts } from '../rollups'
import { mergeSpan } from '../sqlite/rollup-days'
import { repricePostgres } from './reprice'
import { COST_SCALE, floatSumSql, intSumSql as int, LATENCY_SCALE, readDays, readSpan } from './rollup-spans'

export interface PostgresRollupOptions {
  /** the time (ms) taken as now: which days are finished (as SQLite's option of the same name) */
  now?: () => number
}

export class PostgresRollupStore implements RollupStore {
  private readonly now: () => number

  constructor(
    private readonly sql: SQL,
    opts: PostgresRollupOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now())
  }

  /** Nothing to read ahead: no cache. */
  prefetch(_orgs: readonly string[]): void {}

  /**
   * Its pieces are read in one snapshot (a read-only REPEATABLE READ transaction): a batch committed meanwhile is in
   * all of them or in none, so a day's whole sum and its hours outside a window always agree.
   */
  span(org: string, from: number, to: number, parts: SpanParts = 'all'): Promise<Span> {
    return this.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => spanOf(tx, dayOf(this.now()), org, from, to, parts))
  }

  async modelDistribution(org: string, f: { provider: string | null; since: number | null; until: number | null }): Promise<ModelRow[]> {
    const from = f.since === null ? 0 : f.since - (f.since % HOUR_MS)
    const to = f.until === null ? Number.MAX_SAFE_INTEGER : f.until - (f.until % HOUR_MS) + HOUR_MS
    const firstDay = Math.ceil(from / DAY_MS) * DAY_MS
    const lastDay = to >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.floor(to / DAY_MS) * DAY_MS
    const args: (string | number)[] = [org]
    const range = (table: string, column: string, lo: number, hi: number) => {
      args.push(lo, hi)
      let where = `org_id = $1 AND ${column} >= $${args.length - 1} AND ${column} < $${args.length}`
      if (f.provider) {
        args.push(f.provider)
        where += ` AND provider = $${args.length}`
      }
      return `SELECT ${shownColumn('model')} AS model, provider, requests, cost_usd, latency_ms_sum, input_tokens, output_tokens,
        unpriced_requests, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens FROM ${table} WHERE ${where}`
    }
    const parts: string[] = []
    if (firstDay < lastDay) {
      parts.push(range('model_rollups_daily', 'day', firstDay, lastDay))
      parts.push(range('model_rollups_hourly', 'hour', from, firstDay))
      parts.push(range('model_rollups_hourly', 'hour', lastDay, to))
    } else {
      parts.push(range('model_rollups_hourly', 'hour', from, to))
    }
    const rows: Record<string, number | string>[] = await this.sql.unsafe(
      `SELECT model, provider, ${int('requests')} AS requests, ${floatSumSql('cost_usd', COST_SCALE)} AS "costUsd", ${floatSumSql('latency_ms_sum', LATENCY_SCALE)} AS "latencyMsSum",
         ${int('input_tokens')} AS "inputTokens", ${int('cached_input_tokens')} AS "cachedInputTokens",
         ${int('cache_write_tokens')} AS "cacheWriteTokens", ${int('cache_write_1h_tokens')} AS "cacheWrite1hTokens",
         ${int('output_tokens')} AS "outputTokens", ${int('unpriced_requests')} AS "unpricedRequests"
       FROM (${parts.join(' UNION ALL ')}) u GROUP BY model, provider ORDER BY 3 DESC, model COLLATE "C", provider COLLATE "C"`,
      args,
    )
    return rows.map((r) => {
      const requests = r.requests as number
      return {
        model: shownString(r.model as string),
        provider: r.provider as string,
        requests,
        costUsd: Math.round((r.costUsd as number) * 1e8) / 1e8,
        avgLatencyMs: Math.round(((r.latencyMsSum as number) / requests) * 100) / 100,
        inputTokens: r.inputTokens as number,
        cachedInputTokens: r.cachedInputTokens as number,
        cacheWriteTokens: r.cacheWriteTokens as number,
        cacheWrite1hTokens: r.cacheWrite1hTokens as number,
        outputTokens: r.outputTokens as number,
        unpricedRequests: r.unpricedRequests as number,
      }
    })
  }

  async usageGroups(org: string, since: number, until: number): Promise<UsageGroup[]> {
    const from = since - (since % HOUR_MS)
    const to = until - (until % HOUR_MS) + HOUR_MS
    return [...(await this.span(org, from, to, 'groups')).groups.values()].map(usageGroupOf)
  }

  async knownValues(org: string, from: number, to: number, limit: number): Promise<{ models: string[]; features: string[] }> {
    const models = new Set<string>()
    const features = new Set<string>()
    for (const g of (await this.span(org, from, to, 'groups')).groups.values()) {
      if (g.model) models.add(g.model)
      if (g.feature) features.add(g.feature)
    }
    const sorted = (s: Set<string>) => [...s].sort().slice(0, limit)
    return { models: sorted(models), features: sorted(features) }
  }

  async dayMayMatch(org: string, f: RollupFilter, day: number): Promise<boolean> {
    const [span] = await this.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => readDays(tx, org, day, day + DAY_MS, 'groups'))
    for (const g of span!.groups.values()) if (matchingRequests(g, f) > 0) return true
    return false
  }

  async replayRows(org: string, from: number, to: number, rawInputs: boolean): Promise<ReplayRow[]> {
    const order = 'provider COLLATE "C", model COLLATE "C", feature COLLATE "C", task COLLATE "C", endpoint COLLATE "C", stream, input_class'
    if (rawInputs) {
      const priced = (c: string) => `COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(${c}, 0) END), 0)::float8`
      // As replayGroupSql('0', …, 'COALESCE(input_tokens, 0)') on SQLite, column for column.
      return await this.sql.unsafe(
        `SELECT org_id, 0 AS day, provider, model, feature, task, endpoint, stream, input_class, requests, unpriced_requests, input_tokens,
           cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, cost_usd
         FROM (SELECT org_id, provider, COALESCE(model, '') AS model, COALESCE(feature, '') AS feature, COALESCE(task, '') AS task, endpoint,
             stream, COALESCE(input_tokens, 0)::float8 AS input_class, COUNT(*)::float8 AS requests,
             COUNT(*) FILTER (WHERE cost_usd IS NULL)::float8 AS unpriced_requests, ${priced('input_tokens')} AS input_tokens,
             ${priced('cached_input_tokens')} AS cached_input_tokens, ${priced('cache_write_tokens')} AS cache_write_tokens,
             ${priced('cache_write_1h_tokens')} AS cache_write_1h_tokens, ${priced('output_tokens')} AS output_tokens,
             ${floatSumSql('cost_usd', COST_SCALE)} AS cost_usd
           FROM events WHERE org_id = $1 AND id COLLATE "C" >= $2 AND id COLLATE "C" < $3
           GROUP BY org_id, provider, 3, 4, 5, endpoint, stream, 8) g
         ORDER BY ${order}`,
        [org, idFloorOf(from), idFloorOf(to)],
      )
    }
    return await this.sql.unsafe(
      `SELECT provider, model, feature, task, endpoint, stream, input_class::float8 AS input_class, ${int('requests')} AS requests,
         ${int('unpriced_requests')} AS unpriced_requests, ${int('input_tokens')} AS input_tokens, ${int('cached_input_tokens')} AS cached_input_tokens,
         ${int('cache_write_tokens')} AS cache_write_tokens, ${int('cache_write_1h_tokens')} AS cache_write_1h_tokens,
         ${int('output_tokens')} AS output_tokens, ${floatSumSql('cost_usd', COST_SCALE)} AS cost_usd
       FROM replay_rollups_daily WHERE org_id = $1 AND day >= $2 AND day < $3
       GROUP BY provider, model, feature, task, endpoint, stream, input_class ORDER BY ${order}`,
      [org, from, to],
    )
  }

  reprice(org: string, since: number, until: number, registry: Registry): Promise<RepriceResult> {
    return repricePostgres(this.sql, org, since, until, registry)
  }

  /**
   * The database's snapshot (`pg_current_snapshot()`: which transactions are committed), cheap and read from no
   * table: it moves whenever any transaction that wrote commits, on any instance (events, re-pricing, anything
   * else too, which only costs a recomputation). Equal snapshots see equal roll-ups.
   */
  async version(): Promise<string> {
    const [row] = await this.sql`SELECT pg_current_snapshot()::text AS v`
    return (row as { v: string }).v
  }
}

/** As SqliteRollupStore's span: the finished whole days in the middle as one sum, the partial days at the edges. */
async function spanOf(sql: SQL, today: number, org: string, from: number, to: number, parts: SpanParts): Promise<Span> {
  const span: Span = { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
  const first = Math.ceil(from / DAY_MS) * DAY_MS
  const last = Math.min(Math.floor(to / DAY_MS) * DAY_MS, today)
  const middle = parts !== 'hours' && last - first >= 2 * DAY_MS
  const pieces = middle
    ? [...(await cover(sql, today, org, from, first, parts)), await wholeDays(sql, org, first, last), ...(await cover(sql, today, org, last, to, parts))]
    : await cover(sql, today, org, from, to, parts)
  for (const piece of pieces) mergeSpan(span, piece)
  return span
}

/** As RollupDays.wholeDays: the finished days summed into one span, day by day in order. */
async function wholeDays(sql: SQL, org: string, first: number, last: number): Promise<Span> {
  const span: Span = { from: first, to: last, hours: new Map(), latency: new Map(), groups: new Map() }
  for (const day of await readDays(sql, org, first, last)) mergeSpan(span, day)
  return span
}

/** As RollupDays.cover: finished whole days as whole-day spans, the rest by `partDay`. */
async function cover(sql: SQL, today: number, org: string, from: number, to: number, parts: SpanParts): Promise<Span[]> {
  // Hours alone are keyed by hour: one read gives what the day-by-day pieces would.
  if (parts === 'hours') return from < to ? [await readSpan(sql, org, from, to, 'hours')] : []
  const spans: Span[] = []
  let at = from
  while (at < to) {
    const day = dayOf(at)
    const end = Math.min(day + DAY_MS, to)
    const whole = at === day && end === day + DAY_MS && day < today
    spans.push(whole ? await readSpan(sql, org, day, end, 'all') : await partDay(sql, org, at, end, parts, day < today))
    at = end
  }
  return spans
}

/** As RollupDays.partDay: most of a day is the whole day less the hours outside. */
async function partDay(sql: SQL, org: string, from: number, to: number, parts: SpanParts, finished: boolean): Promise<Span> {
  const day = dayOf(from)
  if (parts === 'hours' || DAY_MS - (to - from) >= to - from) return readSpan(sql, org, from, to, parts)
  const whole = await readSpan(sql, org, day, day + DAY_MS, finished ? 'all' : 'groups')
  const span: Span =
    finished || parts === 'groups' ? { from, to, hours: new Map(), latency: new Map(), groups: new Map() } : await readSpan(sql, org, from, to, 'hours')
  if (finished && parts === 'all') {
    for (const [hour, sums] of whole.hours) if (hour >= from && hour < to) span.hours.set(hour, sums)
    for (const [hour, buckets] of whole.latency) if (hour >= from && hour < to) span.latency.set(hour, buckets)
  }
  for (const [key, g] of whole.groups) span.groups.set(key, { ...g })
  for (const outside of [await readSpan(sql, org, day, from, 'groups'), await readSpan(sql, org, to, day + DAY_MS, 'groups')]) {
    for (const [key, g] of outside.groups) {
      const mine = span.groups.get(key)
      if (!mine) continue
      subtractSums(mine, g)
      // Every request of the group was outside: the window has none of it.
      if (mine.requests <= 0) span.groups.delete(key)
    }
  }
  return span
}



