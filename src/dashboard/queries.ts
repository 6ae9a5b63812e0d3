/**
 * What the dashboard pages show, from the roll-ups through the roll-up store (`RollupStore`), so a page costs about
 * the same with ten events or ten million. Only the events page and an event's detail read `events`, a page at a
 * time through the `events_org_id (org_id, id)` index.
 */
import { DAY_MS, HOUR_MS, type ProviderId, type Task } from '../domain'
import { ALL_EVENTS, type EventFilter, type EventStore } from '../storage/events'
import { percentileFromBuckets } from '../rollups/latency-buckets'
import type { LectrEvent } from '../domain'
import type { BreakdownRow, EventFilters, ModelRow, OverviewData, Range, UsageBucket } from '../../views/types'
import { addSums, dayOf, emptySums, type Group, type RollupStore, type Sums } from '../storage/rollups'

/** A range's window: `buckets` slices of `bucketMs` from `from` (inclusive) to `to` (exclusive); the last holds now. */
export interface RangeWindow {
  range: Range
  from: number
  to: number
  bucketMs: number
  buckets: number
}

/** 24 hourly bars for a day, 28 six-hourly bars for a week, 30 daily bars for a month; slices are aligned to UTC. */
const SLICES: Record<Range, { bucketMs: number; buckets: number }> = {
  '24h': { bucketMs: HOUR_MS, buckets: 24 },
  '7d': { bucketMs: 6 * HOUR_MS, buckets: 28 },
  '30d': { bucketMs: DAY_MS, buckets: 30 },
}

/**
 * @example rangeWindow('24h', Date.parse('2025-03-14T12:30:00Z'))
 * // { from: 2025-03-13T13:00Z, to: 2025-03-14T13:00Z, bucketMs: 3600000, buckets: 24, range: '24h' }
 */
export function rangeWindow(range: Range, now: number): RangeWindow {
  const { bucketMs, buckets } = SLICES[range]
  const to = now - (now % bucketMs) + bucketMs
  return { range, from: to - buckets * bucketMs, to, bucketMs, buckets }
}

function roundUsd(v: number): number {
  return Math.round(v * 1e8) / 1e8
}

/** Overview: totals, p95 latency and the chart's buckets (empty ones included) for a range. */
export async function overview(rollups: RollupStore, org: string, range: Range, now: number): Promise<OverviewData> {
  const w = rangeWindow(range, now)
  const slices = Array.from({ length: w.buckets }, () => emptySums())
  const total = emptySums()
  const latency = new Map<number, number>()
  const span = await rollups.span(org, w.from, w.to, 'all')
  for (const [hour, sums] of span.hours) {
    addSums(slices[Math.floor((hour - w.from) / w.bucketMs)]!, sums)
    addSums(total, sums)
  }
  for (const buckets of span.latency.values()) for (const [bucket, n] of buckets) latency.set(bucket, (latency.get(bucket) ?? 0) + n)
  const buckets: UsageBucket[] = slices.map((s, i) => ({
    start: new Date(w.from + i * w.bucketMs).toISOString(),
    requests: s.requests,
    costUsd: roundUsd(s.costUsd),
    errors: s.errors,
  }))
  const groups = [...span.groups.values()]
  const features = breakdown(groups, (g) => g.feature)
  const shown = features.slice(0, FEATURE_ROWS)
  const rest = features.slice(FEATURE_ROWS)
  return {
    range,
    buckets,
    totals: {
      requests: total.requests,
      costUsd: roundUsd(total.costUsd),
      unpricedRequests: total.unpricedRequests,
      avgLatencyMs: total.requests ? total.latencyMsSum / total.requests : null,
      p95LatencyMs: percentileFromBuckets([...latency].map(([bucket, requests]) => ({ bucket, requests })), 0.95),
      errorRate: total.requests ? total.errors / total.requests : null,
      inputTokens: total.inputTokens,
      cachedInputTokens: total.cachedInputTokens,
      outputTokens: total.outputTokens,
    },
    byProvider: breakdown(groups, (g) => g.provider),
    byFeature: shown,
    otherFeatures: rest.length
      ? {
          key: '',
          features: rest.length,
          requests: rest.reduce((n, r) => n + r.requests, 0),
          costUsd: roundUsd(rest.reduce((n, r) => n + r.costUsd, 0)),
          unpricedRequests: rest.reduce((n, r) => n + r.unpricedRequests, 0),
        }
      : null,
  }
}

/** The overview lists this many features by cost; the others are summed in one line. */
export const FEATURE_ROWS = 10

/**
 * Requests and cost per key (provider, feature), most cost first, then most requests.
 * @example breakdown(groups, (g) => g.provider) // [{ key: 'openai', requests: 120, costUsd: 4.2, unpricedRequests: 0 }, …]
 */
export function breakdown(groups: readonly Group[], keyOf: (g: Group) => string): BreakdownRow[] {
  const rows = new Map<string, BreakdownRow>()
  for (const g of groups) {
    if (g.requests === 0) continue
    const key = keyOf(g)
    const row = rows.get(key)
    if (row) {
      row.requests += g.requests
      row.costUsd += g.costUsd
      row.unpricedRequests += g.unpricedRequests
    } else {
      rows.set(key, { key, requests: g.requests, costUsd: g.costUsd, unpricedRequests: g.unpricedRequests })
    }
  }
  return [...rows.values()]
    .map((r) => ({ ...r, costUsd: roundUsd(r.costUsd) }))
    .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || a.key.localeCompare(b.key))
}

/**
 * Models page: the seed's model distribution (the admin API's `modelDistribution`, same rounding) over the same
 * window as the overview.
 */
export async function modelRows(rollups: RollupStore, org: string, provider: string | null, range: Range, now: number): Promise<ModelRow[]> {
  const w = rangeWindow(range, now)
  const models = new Map<string, Sums & { provider: string; model: string }>()
  for (const g of (await rollups.span(org, w.from, w.to, 'groups')).groups.values()) {
    if (provider && g.provider !== provider) continue
    const key = `${g.provider}\u0000${g.model}`
    let m = models.get(key)
    if (!m) models.set(key, (m = { provider: g.provider, model: g.model, ...emptySums() }))
    addSums(m, g)
  }
  return [...models.values()]
    .filter((m) => m.requests > 0)
    .map((m) => ({
      model: m.model,
      provider: m.provider,
      requests: m.requests,
      costUsd: roundUsd(m.costUsd),
      avgLatencyMs: Math.round((m.latencyMsSum / m.requests) * 100) / 100,
      inputTokens: m.inputTokens,
      cachedInputTokens: m.cachedInputTokens,
      cacheWriteTokens: m.cacheWriteTokens,
      cacheWrite1hTokens: m.cacheWrite1hTokens,
      outputTokens: m.outputTokens,
      unpricedRequests: m.unpricedRequests,
    }))
    .sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model))
}

/** Model ids and feature tags of the last week, for the events filter's suggestions. */
export function knownValues(rollups: RollupStore, org: string, now: number, limit = 200): Promise<{ models: string[]; features: string[] }> {
  return rollups.knownValues(org, dayOf(now) - 7 * DAY_MS, now - (now % HOUR_MS) + HOUR_MS, limit)
}

export interface EventPage {
  rows: LectrEvent[]
  /** where the next (older) page starts; null on the last */
  next: string | null
}

/**
 * One page of the Events page: an org's events, newest first, filtered (status `ok` is < 400, `error` >= 400),
 * after `cursor` (exclusive), read by the store a bounded number of events at a time (`EventStore.browse`). A
 * finished day whose kept roll-ups show no match is skipped without reading it.
 */
export async function listEvents(
  events: EventStore,
  rollups: RollupStore,
  org: string,
  f: EventFilters,
  cursor: string | null,
  now: number,
  opts: { limit?: number; scanBudget?: number } = {},
): Promise<EventPage> {
  const filter: EventFilter = {
    ...ALL_EVENTS, provider: f.provider as ProviderId | null, model: f.model, feature: f.feature, task: f.task as Task | null, statusClass: f.status,
  }
  const dayMayMatch = (day: number) => rollups.dayMayMatch(org, f, day)
  const page = await events.browse(org, filter, cursor, { ...opts, now, dayMayMatch })
  return { rows: page.events, next: page.next }
}
