import type { ProviderId, Task } from '../registry/schema'

/**
 * One (provider, model, task, feature) group's traffic, summed over a window.
 * The caller builds these from the event roll-ups; the engine never queries anything itself.
 * Token counts follow `Usage`: `inputTokens` includes `cachedInputTokens`.
 */
export interface UsageGroup {
  provider: ProviderId
  /** the model as requested (may carry a date suffix, e.g. `gpt-4o-2024-08-06`) */
  model: string
  task: Task | null
  feature: string | null
  requests: number
  inputTokens: number
  cachedInputTokens: number
  /** cache writes (5-minute and unsplit; 1-hour), also part of `inputTokens` */
  cacheWriteTokens: number
  cacheWrite1hTokens: number
  outputTokens: number
  /** what was recorded at request time; the engine re-prices from the registry instead (see engine.ts) */
  costUsd: number
  unpricedRequests: number
}

/** How far down a model's downgrade chain a suggestion goes (SPEC section 6). */
export type Aggressiveness = 'aggressive' | 'moderate' | 'conservative'

/** A suggestion to move one group's traffic to a cheaper model of the same provider. */
export interface Recommendation {
  model: string
  /** the provider the traffic went to; azure stays azure even though OpenAI's catalogue supplies the target */
  provider: ProviderId
  task: Task | null
  feature: string | null
  suggestedModel: string
  aggressiveness: Aggressiveness
  requests: number
  /** the window's tokens priced at the current model's registry price */
  currentCostUsd: number
  /** the same tokens priced at the suggested model */
  projectedCostUsd: number
  /** (current - projected) scaled from the window to 30 days */
  monthlySavingsUsd: number
  /** one line a person can check against the numbers beside it */
  reason: string
  /** per request, rounded to whole tokens; input includes cached tokens */
  avgInputTokens: number
  avgOutputTokens: number
}
