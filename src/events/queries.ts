import type { Database } from 'bun:sqlite'
import { DAY_MS, HOUR_MS, type UsageGroup } from '../domain'
import { shownColumn, shownString } from '../limits'

export { EVENT_COLUMNS, toEvent, type EventRow } from './columns'

export interface ModelRow {
  model: string
  provider: string
  requests: number
  costUsd: number
  avgLatencyMs: number
  inputTokens: number
  /** cache reads and writes, each part of `inputTokens` */
  cachedInputTokens: number
  cacheWriteTokens: number
  cacheWrite1hTokens: number
  outputTokens: number
  unpricedRequests: number
  /** the registry names no provider for this model, so it went to OpenAI by default (see `markUnknownProviders`) */
  providerUnknown?: boolean
}

/** Rollup rows cover whole hours: a range starts at the hour `since` falls in and ends before the hour after `until`. */
function hourRange(since: number | null, until: number | null): { from: number; to: number } {
  return {
    from: since === null ? 0 : since - (since % HOUR_MS),
    to: until === null ? Number.MAX_SAFE_INTEGER : until - (until % HOUR_MS) + HOUR_MS,
  }
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

/** Traffic per (provider, model, task, feature) in a window, for recommendations. */
export function usageGroups(db: Database, org: string, since: number | null, until: number | null): UsageGroup[] {
  const { from, to } = hourRange(since, until)
  return (
    db
      .query(
        `SELECT provider, ${shownColumn('model')} AS model, task, ${shownColumn('feature')} AS feature, SUM(requests) AS requests, SUM(input_tokens) AS inputTokens,
                SUM(cached_input_tokens) AS cachedInputTokens, SUM(cache_write_tokens) AS cacheWriteTokens,
                SUM(cache_write_1h_tokens) AS cacheWrite1hTokens, SUM(output_tokens) AS outputTokens,
                SUM(cost_usd) AS costUsd, SUM(unpriced_requests) AS unpricedRequests
         FROM rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ?
         GROUP BY provider, ${shownColumn('model')}, task, ${shownColumn('feature')}`,
      )
      .all(org, from, to) as any[]
  ).map((r) => ({ ...r, model: shownString(r.model), task: r.task || null, feature: shownString(r.feature || null) }))
}

function roundUsd(v: number): number {
  return Math.round(v * 1e8) / 1e8
}

/** The smallest UUIDv7 of a millisecond: every event id of that time or later sorts at or above it. */
export function idFloorOf(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`
}
