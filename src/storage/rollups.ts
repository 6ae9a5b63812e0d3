/**
 * `RollupStore`: the one read API over the roll-ups (what the writer adds per batch, src/rollups/). The admin API,
 * the dashboard and the recommendations read only through it; re-pricing, which changes roll-ups already written,
 * goes through it too, so an implementation's caches see every change.
 *
 * A read sees every event written before it (the writer's batches); it never writes events itself.
 */
import { DAY_MS, type UsageGroup } from '../domain'
import type { Registry } from '../registry/schema'
import type { ReplayRow } from '../routing/dry-run'

export interface Sums {
  requests: number
  errors: number
  costUsd: number
  unpricedRequests: number
  latencyMsSum: number
  inputTokens: number
  cachedInputTokens: number
  cacheWriteTokens: number
  cacheWrite1hTokens: number
  outputTokens: number
}

/** One (provider, model, task, feature) group; '' where the request had none. */
export interface Group extends Sums {
  provider: string
  model: string
  task: string
  feature: string
}

/** A stretch of roll-ups: totals per hour, latency histogram per hour (bucket → requests), and the groups over the whole stretch. */
export interface Span {
  from: number
  to: number
  hours: Map<number, Sums>
  latency: Map<number, Map<number, number>>
  groups: Map<string, Group>
}

export function emptySums(): Sums {
  return { requests: 0, errors: 0, costUsd: 0, unpricedRequests: 0, latencyMsSum: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0 }
}

export function addSums(into: Sums, s: Sums): void {
  into.requests += s.requests
  into.errors += s.errors
  into.costUsd += s.costUsd
  into.unpricedRequests += s.unpricedRequests
  into.latencyMsSum += s.latencyMsSum
  into.inputTokens += s.inputTokens
  into.cachedInputTokens += s.cachedInputTokens
  into.cacheWriteTokens += s.cacheWriteTokens
  into.cacheWrite1hTokens += s.cacheWrite1hTokens
  into.outputTokens += s.outputTokens
}

/** Takes `s` off `into` (a day's sums less those of some of its hours). */
export function subtractSums(into: Sums, s: Sums): void {
  into.requests -= s.requests
  into.errors -= s.errors
  into.costUsd -= s.costUsd
  into.unpricedRequests -= s.unpricedRequests
  into.latencyMsSum -= s.latencyMsSum
  into.inputTokens -= s.inputTokens
  into.cachedInputTokens -= s.cachedInputTokens
  into.cacheWriteTokens -= s.cacheWriteTokens
  into.cacheWrite1hTokens -= s.cacheWrite1hTokens
  into.outputTokens -= s.outputTokens
}

export function groupKey(g: { provider: string; model: string; task: string; feature: string }): string {
  return `${g.provider}\u0000${g.model}\u0000${g.task}\u0000${g.feature}`
}

/** The start of the UTC day `ms` falls in. */
export function dayOf(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS)
}

/** What a reader needs of a span: totals and latency per hour (`hours`), or the groups (`groups`), or both. */
export type SpanParts = 'hours' | 'groups' | 'all'

/** One model's row of the model distribution (SPEC section 4). */
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

/** The text and status filters of the events list, as the roll-ups can answer them. */
export interface RollupFilter {
  provider?: string | null
  model?: string | null
  feature?: string | null
  task?: string | null
  status?: 'ok' | 'error' | null
}

/** What `POST /api/orgs/:org/reprice` answers. */
export interface RepriceResult {
  /** events that had token counts and no cost, and now have a cost */
  repriced: number
  /** USD added to the window's cost by them (rounded to 1e-10 USD, like every cost) */
  costUsd: number
  /** events with token counts that the registry and overrides in force still do not price */
  stillUnpriced: number
  /** events without a cost and without token counts (the provider never said): nothing can price them */
  withoutTokenCounts: number
}

export interface RollupStore {
  /** [from, to) of an org's roll-ups (whole hours), only the `parts` asked for. */
  span(org: string, from: number, to: number, parts?: SpanParts): Promise<Span>
  /** The model distribution over the hours `since` and `until` fall in (null: unbounded), most requests first. */
  modelDistribution(org: string, f: { provider: string | null; since: number | null; until: number | null }): Promise<ModelRow[]>
  /** Traffic per (provider, model, task, feature) in the hours from `since`'s to `until`'s, for the recommendations. */
  usageGroups(org: string, since: number, until: number): Promise<UsageGroup[]>
  /** Model ids and feature tags seen in [from, to), sorted, at most `limit` of each (the events filter's suggestions). */
  knownValues(org: string, from: number, to: number, limit: number): Promise<{ models: string[]; features: string[] }>
  /** For a finished UTC day (its first ms): false when no event of it matches `f`, so a listing can skip it unread. */
  dayMayMatch(org: string, f: RollupFilter, day: number): Promise<boolean>
  /**
   * What a routing dry run replays over [from, to) (whole UTC days): rows per combination a rule matches on;
   * `rawInputs`: from the raw events, each row's `input_class` the input tokens themselves (any price tier exact).
   */
  replayRows(org: string, from: number, to: number, rawInputs: boolean): Promise<ReplayRow[]>
  /** Prices the org's unpriced events in [since, until) with `registry`, and their roll-ups with them. */
  reprice(org: string, since: number, until: number, registry: Registry): Promise<RepriceResult>
  /** Starts reading ahead, in the background, what the pages of these orgs will ask (at sign-in); may do nothing. */
  prefetch(orgs: readonly string[]): void
  /** Changes whenever anything the store reads may have changed: equal versions, equal answers. */
  version(): Promise<string>
}

/** A group as the recommendations read it: no task or feature is null there, '' here. */
export function usageGroupOf(g: Group): UsageGroup {
  return {
    provider: g.provider as UsageGroup['provider'],
    model: g.model,
    task: (g.task || null) as UsageGroup['task'],
    feature: g.feature || null,
    requests: g.requests,
    inputTokens: g.inputTokens,
    cachedInputTokens: g.cachedInputTokens,
    cacheWriteTokens: g.cacheWriteTokens,
    cacheWrite1hTokens: g.cacheWrite1hTokens,
    outputTokens: g.outputTokens,
    costUsd: g.costUsd,
    unpricedRequests: g.unpricedRequests,
  }
}

const TEXT_FILTERS = ['provider', 'model', 'feature', 'task'] as const

/** How many of a group's requests the filter matches (roll-ups keep errors, so status splits too). */
export function matchingRequests(g: Group, f: RollupFilter): number {
  for (const column of TEXT_FILTERS) if (f[column] && g[column] !== f[column]) return 0
  return f.status === 'ok' ? g.requests - g.errors : f.status === 'error' ? g.errors : g.requests
}
