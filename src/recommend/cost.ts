import { costAtRates, priceFor } from '../registry/pricing'
import type { Price } from '../registry/schema'
import type { UsageGroup } from '../domain'

/** The token counts of a group that its price depends on. */
export type TokenMix = Pick<UsageGroup, 'requests' | 'inputTokens' | 'cachedInputTokens' | 'outputTokens'> &
  Partial<Pick<UsageGroup, 'cacheWriteTokens' | 'cacheWrite1hTokens'>>

/**
 * The group's tokens priced at `price`, in USD, by the same rule as a single request (registry/pricing.ts).
 *
 * A tiered price is chosen per request by its input tokens; a group only knows its totals, so its average
 * request picks the tier, and that tier's flat price is applied to the totals (handing the totals to
 * `costUsd` as they are would pick the tier by the whole window's input). Current and projected costs both come
 * from here, so two models are always compared on the same token mix under the same rules.
 *
 * @example
 * groupCostUsd({ input: 2.5, cachedInput: 1.25, output: 10 },
 *   { requests: 100, inputTokens: 100_000, cachedInputTokens: 20_000, outputTokens: 10_000 }) // 0.325
 */
export function groupCostUsd(price: Price, mix: TokenMix): number {
  const avgInputTokens = mix.requests > 0 ? mix.inputTokens / mix.requests : 0
  const totals = {
    inputTokens: mix.inputTokens,
    cachedInputTokens: mix.cachedInputTokens,
    cacheWriteTokens: mix.cacheWriteTokens ?? 0,
    cacheWrite1hTokens: mix.cacheWrite1hTokens ?? 0,
    outputTokens: mix.outputTokens,
    reasoningTokens: 0,
  }
  return costAtRates(priceFor(price, avgInputTokens), totals)
}
