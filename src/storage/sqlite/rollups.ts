/**
 * The SQLite `RollupStore`. The model distribution reads the per-model tables (`model_rollups_daily` for whole days,
 * `model_rollups_hourly` for the partial days at the edges); everything grouped by feature and task (overview
 * breakdowns, recommendations, filter suggestions, the events filter's hours) reads whole finished days through
 * `RollupDays` (filled from `rollups_daily`, kept in memory) and the rest from `rollups_hourly`.
 *
 * Why a day cache and not the tables alone, measured on bench/events/distribution.ts's 10M-event database
 * (2026-12-07, shared 2-core machine, load 3–11): 30 days of groups read straight from `rollups_daily` take 340 ms
 * (quiet) to 1.2 s (loaded), 283,607 rows for 11,880 groups, where the kept days sum 30 maps. See bench/README.md.
 */
import type { Database } from 'bun:sqlite'
import { DAY_MS, HOUR_MS, type UsageGroup } from '../../domain'
import { idFloorOf } from '../../events/queries'
import { shownColumn, shownString } from '../../limits'
import type { Registry } from '../../registry/schema'
import { replayGroupSql } from '../../rollups/replay-rollup'
import type { ReplayRow } from '../../routing/dry-run'
import { dayOf, matchingRequests, usageGroupOf, type ModelRow, type RepriceResult, type RollupFilter, type RollupStore, type Span, type SpanParts } from '../rollups'
import { repriceEvents } from './reprice'
import { mergeSpanSliced } from '../kept-days'
import { RollupDays } from './rollup-days'

export interface SqliteRollupOptions {
  /** the time (ms) the day cache takes as now: which days are finished */
  now?: () => number
  /** days kept in memory at most: the event log's retention and a little (default 32) */
  keepDays?: number
  /** above this many new events since the last read, the kept days are re-read instead of checked (tests) */
  maxDeltaScan?: number
}

export class SqliteRollupStore implements RollupStore {
  /** finished days kept in memory (public for tests and diagnostics) */
  readonly days: RollupDays

  constructor(
    private readonly db: Database,
    opts: SqliteRollupOptions = {},
  ) {
    this.days = new RollupDays(db, opts.now ?? (() => Date.now()), { keepDays: opts.keepDays, maxDeltaScan: opts.maxDeltaScan })
  }

  /** Reads the orgs' finished days into memory in the background, a slice per turn of the event loop. */
  prefetch(orgs: readonly string[]): void {
    this.days.warmAll(() => [...orgs])
  }

  async span(org: string, from: number, to: number, parts: SpanParts = 'all'): Promise<Span> {
    return this.spanSliced(org, from, to, parts)
  }

  /** [from, to) summed, a day per turn of the event loop (see RollupDays.cover). */
  private async spanSliced(org: string, from: number, to: number, parts: SpanParts): Promise<Span> {
    this.days.sync()
    const span: Span = { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
    // The finished whole days in the middle as one kept sum (see RollupDays.wholeDays), the partial days at the edges as they are.
    const first = Math.ceil(from / DAY_MS) * DAY_MS
    const last = Math.min(Math.floor(to / DAY_MS) * DAY_MS, dayOf(this.days.nowMs()))
    const middle = parts !== 'hours' && last - first >= 2 * DAY_MS
    const pieces = middle
      ? [...(await this.days.cover(org, from, first, parts)), await this.days.wholeDays(org, first, last), ...(await this.days.cover(org, last, to, parts))]
      : await this.days.cover(org, from, to, parts)
    for (const piece of pieces) await mergeSpanSliced(span, piece)
    // After the read, not during it: the background read would otherwise read the very days this read is reading.
    this.days.warm(org)
    return span
  }

  async modelDistribution(org: string, f: { provider: string | null; since: number | null; until: number | null }): Promise<ModelRow[]> {
    return modelDistribution(this.db, org, f)
  }

  async usageGroups(org: string, since: number, until: number): Promise<UsageGroup[]> {
    const from = since - (since % HOUR_MS)
    const to = until - (until % HOUR_MS) + HOUR_MS
    return [...(await this.spanSliced(org, from, to, 'groups')).groups.values()].map(usageGroupOf)
  }

  async knownValues(org: string, from: number, to: number, limit: number): Promise<{ models: string[]; features: string[] }> {
    const models = new Set<string>()
    const features = new Set<string>()
    for (const g of (await this.spanSliced(org, from, to, 'groups')).groups.values()) {
      if (g.model) models.add(g.model)
      if (g.feature) features.add(g.feature)
    }
    const sorted = (s: Set<string>) => [...s].sort().slice(0, limit)
    return { models: sorted(models), features: sorted(features) }
  }

  /** From the day cache: a finished day's groups are in memory, so a day without a match costs nothing. */
  async dayMayMatch(org: string, f: RollupFilter, day: number): Promise<boolean> {
    this.days.sync()
    for (const g of (await this.days.daySliced(org, day)).groups.values()) if (matchingRequests(g, f) > 0) return true
    return false
  }

  async replayRows(org: string, from: number, to: number, rawInputs: boolean): Promise<ReplayRow[]> {
    if (rawInputs) return this.db.query(replayGroupSql('0', 'org_id = ? AND id >= ? AND id < ?', 'COALESCE(input_tokens, 0)')).all(org, idFloorOf(from), idFloorOf(to)) as ReplayRow[]
    return this.db
      .query(
        `SELECT provider, model, feature, task, endpoint, stream, input_class, SUM(requests) AS requests,
           SUM(unpriced_requests) AS unpriced_requests, SUM(input_tokens) AS input_tokens, SUM(cached_input_tokens) AS cached_input_tokens,
           SUM(cache_write_tokens) AS cache_write_tokens, SUM(cache_write_1h_tokens) AS cache_write_1h_tokens,
           SUM(output_tokens) AS output_tokens, TOTAL(cost_usd) AS cost_usd
         FROM replay_rollups_daily WHERE org_id = ? AND day >= ? AND day < ?
         GROUP BY provider, model, feature, task, endpoint, stream, input_class`,
      )
      .all(org, from, to) as ReplayRow[]
  }

  async reprice(org: string, since: number, until: number, registry: Registry): Promise<RepriceResult> {
    const result = repriceEvents(this.db, org, since, until, registry)
    // Roll-ups changed in place, which the day cache's own check (new events) cannot see.
    if (result.repriced > 0) this.days.forget(org)
    return result
  }

  async version(): Promise<string> {
    this.days.sync()
    return this.days.writeMark()
  }
}




/** Rollup rows cover whole hours: a range starts at the hour `since` falls in and ends before the hour after `until`. */
function hourRange(since: number | null, until: number | null): { from: number; to: number } {
  return {
    from: since === null ? 0 : since - (since % HOUR_MS),
    to: until === null ? Number.MAX_SAFE_INTEGER : until - (until % HOUR_MS) + HOUR_MS,
  }
}

function roundUsd(v: number): number {
  return Math.round(v * 1e8) / 1e8
}

/**
 * The model distribution (SPEC section 4) from roll-ups, never a scan of raw events: whole days from the daily
 * model roll-up, the partial days at either end of the range from the hourly one.
 */
export function modelDistribution(
  db: Database,
  org: string,
  f: { provider: string | null; since: number | null; until: number | null },
): ModelRow[] {
  const { from, to } = hourRange(f.since, f.until)
  const firstDay = Math.ceil(from / DAY_MS) * DAY_MS
  const lastDay = to >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.floor(to / DAY_MS) * DAY_MS
  const provider = f.provider ? 'AND provider = ?' : ''
  const p = f.provider ? [f.provider] : []
  const cols = `${shownColumn('model')} AS model, provider, requests, cost_usd, latency_ms_sum, input_tokens, output_tokens, unpriced_requests,
    cached_input_tokens, cache_write_tokens, cache_write_1h_tokens`
  let parts: string
  let args: (string | number)[]
  if (firstDay < lastDay) {
    parts = `SELECT ${cols} FROM model_rollups_daily WHERE org_id = ? AND day >= ? AND day < ? ${provider}
      UNION ALL SELECT ${cols} FROM model_rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ? ${provider}
      UNION ALL SELECT ${cols} FROM model_rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ? ${provider}`
    args = [org, firstDay, lastDay, ...p, org, from, firstDay, ...p, org, lastDay, to, ...p]
  } else {
    parts = `SELECT ${cols} FROM model_rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ? ${provider}`
    args = [org, from, to, ...p]
  }
  return db
    .query(
      `SELECT model, provider, SUM(requests) AS requests, SUM(cost_usd) AS costUsd,
              SUM(latency_ms_sum) / SUM(requests) AS avgLatencyMs, SUM(input_tokens) AS inputTokens,
              SUM(cached_input_tokens) AS cachedInputTokens, SUM(cache_write_tokens) AS cacheWriteTokens,
              SUM(cache_write_1h_tokens) AS cacheWrite1hTokens,
              SUM(output_tokens) AS outputTokens, SUM(unpriced_requests) AS unpricedRequests
       FROM (${parts}) GROUP BY model, provider ORDER BY requests DESC, model`,
    )
    .all(...args)
    .map((r: any) => ({ ...r, model: shownString(r.model), costUsd: roundUsd(r.costUsd), avgLatencyMs: Math.round(r.avgLatencyMs * 100) / 100 })) as ModelRow[]
}
