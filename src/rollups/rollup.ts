import { HOUR_MS, type LectrEvent, type Usage } from '../domain'


/** One row's worth of additions to `rollups_hourly`. Null feature/task/model are stored as '' (part of the key). */
export interface RollupDelta extends Usage {
  org: string
  hour: number
  provider: string
  model: string
  feature: string
  task: string
  requests: number
  errors: number
  costUsd: number
  unpricedRequests: number
  latencyMsSum: number
}

/** Start of the hour of a time in ms since the epoch. */
export function hourOf(timeMs: number): number {
  return timeMs - (timeMs % HOUR_MS)
}

/**
 * The provider and model a request is counted under: the one that served it. A request a routing rule sent
 * elsewhere counts under the routed model (SPEC section 9), so the model distribution and recommendations see it there.
 */
function servedProvider(e: LectrEvent): string {
  return e.routedModel ? e.routedProvider ?? e.provider : e.provider
}

function servedModel(e: LectrEvent): string {
  return e.routedModel || (e.model ?? '')
}

/** The roll-up row an event of `hour` (see `hourOf`) is added to, as one string. */
export function rollupKey(e: LectrEvent, hour: number): string {
  return `${e.org}\u0000${hour}\u0000${servedProvider(e)}\u0000${servedModel(e)}\u0000${e.feature ?? ''}\u0000${e.task ?? ''}`
}

/** Whether an event of `hour` belongs to this roll-up row: `rollupKey` without building the string. */
export function inRollup(r: RollupDelta, e: LectrEvent, hour: number): boolean {
  return (
    r.hour === hour && r.org === e.org && r.provider === servedProvider(e) && r.model === servedModel(e) &&
    r.feature === (e.feature ?? '') && r.task === (e.task ?? '')
  )
}

export function newRollup(e: LectrEvent, hour: number): RollupDelta {
  return {
    org: e.org, hour, provider: servedProvider(e), model: servedModel(e), feature: e.feature ?? '', task: e.task ?? '',
    requests: 0, errors: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, costUsd: 0,
    unpricedRequests: 0, latencyMsSum: 0,
  }
}

/** Adds one event to its roll-up; an event without a price counts as unpriced, never as $0. */
export function addToRollup(r: RollupDelta, e: LectrEvent): void {
  r.requests++
  if (e.status >= 400) r.errors++
  r.inputTokens += e.inputTokens ?? 0
  r.cachedInputTokens += e.cachedInputTokens ?? 0
  r.cacheWriteTokens += e.cacheWriteTokens ?? 0
  r.cacheWrite1hTokens += e.cacheWrite1hTokens ?? 0
  r.outputTokens += e.outputTokens ?? 0
  r.reasoningTokens += e.reasoningTokens ?? 0
  if (e.costUsd === null) r.unpricedRequests++
  else r.costUsd += e.costUsd
  r.latencyMsSum += e.latencyMs
}

/** Adds one roll-up's sums to another's (the key fields of `into` stay as they are). */
export function mergeRollup(into: RollupDelta, r: RollupDelta): void {
  into.requests += r.requests
  into.errors += r.errors
  into.inputTokens += r.inputTokens
  into.cachedInputTokens += r.cachedInputTokens
  into.cacheWriteTokens += r.cacheWriteTokens
  into.cacheWrite1hTokens += r.cacheWrite1hTokens
  into.outputTokens += r.outputTokens
  into.reasoningTokens += r.reasoningTokens
  into.costUsd += r.costUsd
  into.unpricedRequests += r.unpricedRequests
  into.latencyMsSum += r.latencyMsSum
}
