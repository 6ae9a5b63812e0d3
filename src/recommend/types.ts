import type { ProviderId, Task } from '../domain'

// Transitional: `UsageGroup` moved to src/domain.ts (the event log builds it); re-exported for the tests.
export type { UsageGroup } from '../domain'

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
