/**
 * What the dashboard pages show, from the roll-ups through the roll-up store (`RollupStore`), so a page costs about
 * the same with ten events or ten million. Only the events page and an event's detail read `events`, a page at a
 * time through the `events_org_id (org_id, id)` index.
 */
import { DAY_MS, HOUR_MS } from '../domain'
import type { Database } from 'bun:sqlite'
import { getEvent } from '../events/queries'
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

/** `0190f3a2-...`: the smallest UUIDv7 minted at `ms`. Event ids are UUIDv7, so id order is time order. */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`
}

interface Where {
  sql: string[]
  args: (string | number)[]
}

const TEXT_FILTERS = ['provider', 'model', 'feature', 'task'] as const

/** The filters as SQL on `events`. */
function filterWhere(f: EventFilters): Where {
  const w: Where = { sql: [], args: [] }
  for (const column of TEXT_FILTERS) {
    const value = f[column]
    if (value) (w.sql.push(`${column} = ?`), w.args.push(value))
  }
  if (f.status === 'ok') w.sql.push('status < 400')
  if (f.status === 'error') w.sql.push('status >= 400')
  return w
}

/** How many of the newest events a filtered page tries first, before asking the roll-ups. */
const RECENT_SCAN = 2000
/** Index entries read per step of a filtered scan. */
const CHUNK = 5000
/**
 * At most this many events are read for one filtered page (about 60 ms with ten million events). A page that
 * runs out before it is full ends early, and its `next` cursor continues the search further back.
 */
export const SCAN_BUDGET = 40_000
/** Ids are minted a moment before an event's time is taken; a minute covers that and small clock steps. */
const SLACK_MS = 60_000

/** The millisecond a UUIDv7 (or a `uuidv7Floor` cursor) was minted at; null for any other id. */
export function uuidv7Time(id: string): number | null {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-[07][0-9a-f]{3}-/.exec(id)
  return m ? Number.parseInt(m[1]! + m[2]!, 16) : null
}

export interface EventPage {
  rows: LectrEvent[]
  /** where the next (older) page starts; null on the last */
  next: string | null
}

/**
 * One page of an org's events, newest first, filtered (status `ok` is < 400, `error` >= 400), after `cursor`
 * (exclusive). `next` is the cursor of the following page, null on the last.
 *
 * Unfiltered, this reads `limit + 1` entries of the `(org_id, id)` index. With a filter:
 * 1. the newest RECENT_SCAN events usually hold a page of matches;
 * 2. otherwise the index is read further back, but only through the hours the roll-ups say hold matches (ids
 *    are UUIDv7, so an hour is an id range), and never more than `scanBudget` events per page: a filter that
 *    matches very little (one rare model in ten million events) gives shorter pages, each still fast, and the
 *    `next` cursor picks up where the search stopped.
 * Ids that are not UUIDv7 are read the same way, without skipping hours.
 */
export async function listEvents(
  db: Database,
  rollups: RollupStore,
  org: string,
  f: EventFilters,
  cursor: string | null,
  opts: { limit?: number; scanBudget?: number } = {},
): Promise<EventPage> {
  const limit = opts.limit ?? 50
  const filter = filterWhere(f)
  const page = (ids: string[], next: string | null = ids.length > limit ? ids[limit - 1]! : null): EventPage => ({
    rows: ids.slice(0, limit).map((id) => getEvent(db, org, id)).filter((e): e is LectrEvent => e !== null),
    next,
  })
  const below = cursor ? ['id < ?'] : []
  const belowArgs = cursor ? [cursor] : []
  if (filter.sql.length === 0) {
    const sql = `SELECT id FROM events WHERE org_id = ? ${cursor ? 'AND id < ?' : ''} ORDER BY id DESC LIMIT ?`
    return page((db.query(sql).all(org, ...belowArgs, limit + 1) as { id: string }[]).map((r) => r.id))
  }

  // 1. Most filters match plenty among the newest events.
  const base = ['org_id = ?', ...below].join(' AND ')
  const recent = db
    .query(`SELECT id, ${filter.sql.join(' AND ')} AS hit FROM events WHERE ${base} ORDER BY id DESC LIMIT ?`)
    .all(...filter.args, org, ...belowArgs, RECENT_SCAN) as { id: string; hit: number }[]
  const recentHits = recent.filter((r) => r.hit).map((r) => r.id)
  if (recentHits.length > limit || recent.length < RECENT_SCAN) return page(recentHits)

  // 2. Further back, within a budget, skipping hours without matches.
  const found = recentHits
  let pos = recent[recent.length - 1]!.id
  let budget = (opts.scanBudget ?? SCAN_BUDGET) - recent.length
  const scan = (floor: string | null): boolean => {
    // Reads [floor, pos) newest first until the page is full or the budget is spent; true when the range is done.
    while (found.length <= limit && budget > 0) {
      const take = Math.min(CHUNK, budget)
      const rows = db
        .query(`SELECT id, ${filter.sql.join(' AND ')} AS hit FROM events WHERE org_id = ? AND id < ? ${floor ? 'AND id >= ?' : ''} ORDER BY id DESC LIMIT ?`)
        .all(...filter.args, org, pos, ...(floor ? [floor] : []), take) as { id: string; hit: number }[]
      budget -= rows.length
      for (const r of rows) if (r.hit) found.push(r.id)
      if (rows.length > 0) pos = rows[rows.length - 1]!.id
      if (rows.length < take) {
        if (floor) pos = floor
        return true
      }
    }
    return false
  }
  const posTime = uuidv7Time(pos)
  if (posTime === null) {
    const done = scan(null)
    return found.length > limit ? page(found) : page(found, done ? null : pos)
  }
  for await (const hour of matchingHours(db, rollups, org, f, posTime)) {
    const top = uuidv7Floor(hour + HOUR_MS + SLACK_MS)
    if (top < pos) pos = top // nothing matches between: skip ahead
    if (!scan(uuidv7Floor(hour - SLACK_MS))) break
  }
  if (found.length > limit) return page(found)
  return page(found, budget > 0 ? null : pos)
}

/**
 * The hours at or before `at` that hold matching events, newest first, back to the oldest event still in the log,
 * a day at a time (the roll-up store skips days without a match cheaply).
 */
async function* matchingHours(db: Database, rollups: RollupStore, org: string, f: EventFilters, at: number): AsyncGenerator<number> {
  const oldest = (db.query('SELECT time AS t FROM events WHERE org_id = ? ORDER BY id LIMIT 1').get(org) as { t: number } | null)?.t ?? null
  if (oldest === null) return
  const oldestHour = oldest - (oldest % HOUR_MS)
  const lastHour = at - (at % HOUR_MS)
  for (let day = dayOf(lastHour); day + DAY_MS > oldestHour; day -= DAY_MS) {
    yield* await rollups.matchingHours(org, f, Math.max(day, oldestHour), Math.min(day + DAY_MS, lastHour + HOUR_MS))
  }
}
