/**
 * What both stores' re-pricing does with an event read back without a cost (SQLite's and Postgres's `reprice`):
 * price it under the model that served it, and name the roll-up row it is counted in. Pure; the SQL is each store's.
 */
import { DAY_MS, type ProviderId } from '../domain'
import { versionFor } from '../registry/overlay'
import { costUsd, priceModel } from '../registry/pricing'
import type { Registry } from '../registry/schema'
import { inputClassOf } from '../rollups/replay-rollup'
import { hourOf } from '../rollups/rollup'

/** Events read per step; all steps run in the one transaction. */
export const REPRICE_PAGE = 2000

/** An event without a cost, as both stores select it. */
export interface UnpricedRow {
  id: string
  time: number
  provider: ProviderId
  model: string | null
  routed_provider: ProviderId | null
  routed_model: string | null
  response_model: string | null
  feature: string | null
  task: string | null
  endpoint: string
  stream: number
  input_tokens: number
  cached_input_tokens: number | null
  cache_write_tokens: number | null
  cache_write_1h_tokens: number | null
  output_tokens: number
  reasoning_tokens: number | null
}

export interface Repriced {
  cost: number
  /** the registry version the price came from */
  version: string
  servedProvider: ProviderId
  servedModel: string | null
}

/** The event's cost with `registry`, or null while its model has no price there. */
export function priceUnpriced(r: UnpricedRow, registry: Registry): Repriced | null {
  // A routed request is priced, and counted in the roll-ups, under the model that served it (as the proxy does).
  const servedProvider = r.routed_model ? (r.routed_provider ?? r.provider) : r.provider
  const servedModel = r.routed_model ?? r.model
  const entry = priceModel(registry, servedProvider, r.response_model, servedModel)
  if (!entry?.price) return null
  const cost = costUsd(entry.price, {
    inputTokens: r.input_tokens, cachedInputTokens: r.cached_input_tokens ?? 0, cacheWriteTokens: r.cache_write_tokens ?? 0,
    cacheWrite1hTokens: r.cache_write_1h_tokens ?? 0, outputTokens: r.output_tokens, reasoningTokens: r.reasoning_tokens ?? 0,
  })
  return cost === null ? null : { cost, version: versionFor(registry, entry), servedProvider, servedModel }
}

/** The roll-up row (hour, provider, model, feature, task) a re-priced event is counted in, as one string. */
export function repricedRollupKey(r: UnpricedRow, p: Repriced): string {
  // Roll-ups store a missing model, feature or task as '' (src/rollups/rollup.ts).
  return JSON.stringify([hourOf(r.time), p.servedProvider, p.servedModel ?? '', r.feature ?? '', r.task ?? ''])
}

/** The re-priced total as the API answers it. */
export function roundRepricedCost(usd: number): number {
  return Math.round(usd * 1e10) / 1e10
}

/** What re-pricing adds to one roll-up row: the cost of its newly priced events, and how many (no longer unpriced). */
export interface RepricedSums {
  cost: number
  events: number
}

/** Counts a re-priced event in its roll-up row's sums (keyed by `repricedRollupKey`). */
export function countRepriced(into: Map<string, RepricedSums>, r: UnpricedRow, p: Repriced): void {
  const key = repricedRollupKey(r, p)
  const d = into.get(key)
  if (d) (d.cost += p.cost, d.events++)
  else into.set(key, { cost: p.cost, events: 1 })
}

/** The key of the dry run's roll-up row an event is counted in: org, day, provider, model, feature, task, endpoint,
 * stream, input class (a missing model, feature or task as ''). */
export function replayRowKey(org: string, r: UnpricedRow): [string, number, string, string, string, string, string, number, number] {
  return [org, r.time - (r.time % DAY_MS), r.provider, r.model ?? '', r.feature ?? '', r.task ?? '', r.endpoint, r.stream, inputClassOf(r.input_tokens)]
}
