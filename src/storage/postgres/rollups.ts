/**
 * The Postgres `RollupStore`: the same answers as `SqliteRollupStore` (test/storage/contract/rollups.test.ts).
 * Finished days are kept in memory per instance (rollup-days.ts) and checked at every read against marks that every
 * instance's writes of finished days bump (rollup-marks.ts); today and the partial days are read at every call.
 *
 * A span is put together from the same pieces, in the same order, with the same additions in JavaScript as SQLite's
 * (src/storage/kept-days.ts: the finished whole days in the middle summed first, the partial days at the edges read
 * or taken off a whole day), from sums that equal SQLite's bit for bit (rollup-spans.ts), so its floats serialise as
 * SQLite's do.
 */
import type { SQL } from 'bun'
import { DAY_MS, HOUR_MS, type UsageGroup } from '../../domain'
import { idFloorOf } from '../../events/queries'
import { shownColumn, shownString } from '../../limits'
import type { Registry } from '../../registry/schema'
import type { ReplayRow } from '../../routing/dry-run'
import { dayOf, matchingRequests, usageGroupOf, type ModelRow, type RepriceResult, type RollupFilter, type RollupStore, type Span, type SpanParts } from '../rollups'
import { repricePostgres } from './reprice'
import { PostgresRollupDays } from './rollup-days'
import { rollupVersion, SETTLE_MS } from './rollup-marks'
import { COST_SCALE, floatSumSql, intSumSql as int, LATENCY_SCALE, readDays } from './rollup-spans'

export interface PostgresRollupOptions {
  /** the time (ms) taken as now: which days are finished (as SQLite's option of the same name) */
  now?: () => number
  /** days kept in memory at most per org (default 32, as SQLite's) */
  keepDays?: number
}

export class PostgresRollupStore implements RollupStore {
  private readonly now: () => number
  /** finished days kept in memory (public for tests and diagnostics) */
  readonly days: PostgresRollupDays

  constructor(
    private readonly sql: SQL,
    opts: PostgresRollupOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now())
    this.days = new PostgresRollupDays(sql, this.now, { keepDays: opts.keepDays })
  }

  /** Reads the orgs' finished days into memory in the background (at sign-in). */
  prefetch(orgs: readonly string[]): void {
    for (const org of orgs) this.days.warm(org)
  }

  /**
   * Its pieces are read in one snapshot (a read-only REPEATABLE READ transaction): a batch committed meanwhile is in
   * all of them or in none, so a day's whole sum and its hours outside a window always agree, and the kept days are
   * checked against the marks of that snapshot.
   */
  async span(org: string, from: number, to: number, parts: SpanParts = 'all'): Promise<Span> {
    if (from >= to) return { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
    return await this.days.within(org, from, to, (days) => days.span(from, to, parts))
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
    const groups = day < dayOf(this.now())
      ? (await this.days.within(org, day, day + DAY_MS, (days) => days.day(day))).groups.values()
      : (await this.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => readDays(tx, org, day, day + DAY_MS, 'groups')))[0]!.groups.values()
    for (const g of groups) if (matchingRequests(g, f) > 0) return true
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
   * Moves only when an answer can: every mark of a changed finished day (re-pricing, late events, a migration; see
   * rollup-marks.ts), the requests of the days not settled yet (every batch of today's events adds some), and the
   * day. Writes that touch no roll-up (sessions, settings, other tables) leave it alone.
   */
  async version(): Promise<string> {
    const now = this.now()
    return `${dayOf(now)}:${await rollupVersion(this.sql, dayOf(now - SETTLE_MS))}`
  }
}
