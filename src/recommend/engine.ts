import { priceModel } from '../registry/pricing'
import type { Registry } from '../registry/schema'
import { targetPath } from './chain'
import { groupCostUsd } from './cost'
import { aggressivenessFor } from './policy'
import { reasonLine } from './reason'
import type { UsageGroup } from '../domain'
import type { Recommendation } from './types'

/**
 * Downgrade suggestions for a window's usage groups (SPEC section 6), biggest monthly saving first.
 *
 * Per group: enough requests (`registry.minRequests`), a priced model of the provider's own catalogue (found as
 * requests are priced: exact id, then without a date suffix, and Azure's own spellings), a task
 * the table lets through (policy.ts), a target down the model's chain (chain.ts), and that target cheaper for
 * the group's own token mix; when the target is not cheaper, the nearest cheaper step before it, else nothing.
 * Both costs are re-priced from the registry with the same tokens, so they compare like with like (the
 * recorded `costUsd` may come from an older registry or leave requests unpriced).
 *
 * @param windowDays how many days the groups cover; savings are scaled to 30 days
 * @example
 * recommend(groups, registry, 7)[0]
 * // { model: 'gpt-4o', suggestedModel: 'gpt-4o-mini', aggressiveness: 'aggressive', monthlySavingsUsd: 1.31, ... }
 */
export function recommend(groups: UsageGroup[], registry: Registry, windowDays: number): Recommendation[] {
  return rankBySaving(recommendEach(groups, registry, windowDays))
}

/**
 * The suggestions for `groups` in their order, not ranked. Each group's suggestion depends on that group alone, so a
 * caller may run this over consecutive chunks of the groups, concatenate the results in order and rank them once
 * (`rankBySaving`): the list is exactly `recommend`'s.
 */
export function recommendEach(groups: readonly UsageGroup[], registry: Registry, windowDays: number): Recommendation[] {
  checkWindowDays(windowDays)
  const recommendations: Recommendation[] = []
  for (const group of groups) {
    const recommendation = recommendGroup(group, registry, windowDays)
    if (recommendation) recommendations.push(recommendation)
  }
  return recommendations
}

/** Throws a RangeError unless `windowDays` is a positive number of days. */
export function checkWindowDays(windowDays: number): void {
  if (!Number.isFinite(windowDays) || windowDays <= 0) {
    throw new RangeError(`windowDays must be a positive number of days, got ${windowDays}`)
  }
}

/** Biggest monthly saving first (sorts in place, stable). */
export function rankBySaving(recommendations: Recommendation[]): Recommendation[] {
  return recommendations.sort(biggestSavingFirst)
}

/** One group's suggestion, or null: it depends on this group alone (see RecommendMemo). */
export function recommendGroup(group: UsageGroup, registry: Registry, windowDays: number): Recommendation | null {
  if (group.requests <= 0 || group.requests < registry.minRequests) return null
  // the same lookup that priced the group's requests, so any model the dashboard shows a cost for can be advised
  const current = priceModel(registry, group.provider, null, group.model)
  if (!current?.price) return null

  const avgInputTokens = group.inputTokens / group.requests
  const avgOutputTokens = group.outputTokens / group.requests
  const policy = aggressivenessFor(group.task, { avgInputTokens, avgOutputTokens }, registry.longPromptTokens)
  if (!policy.aggressiveness) return null
  const path = targetPath(registry, group.provider, current, policy.aggressiveness)
  if (!path) return null

  const currentCostUsd = groupCostUsd(current.price, group)
  // the chosen target is last; walking back towards the model finds the nearest step that still saves money
  for (let i = path.steps.length - 1; i >= 0; i--) {
    const step = path.steps[i]!
    if (!step.price) continue
    const projectedCostUsd = groupCostUsd(step.price, group)
    if (projectedCostUsd >= currentCostUsd) continue
    const chosen = path.steps[path.steps.length - 1]!
    return {
      model: group.model,
      provider: group.provider,
      task: group.task,
      feature: group.feature,
      suggestedModel: step.id,
      aggressiveness: policy.aggressiveness,
      requests: group.requests,
      currentCostUsd,
      projectedCostUsd,
      monthlySavingsUsd: ((currentCostUsd - projectedCostUsd) * 30) / windowDays,
      reason: reasonLine({
        task: group.task,
        requests: group.requests,
        avgInputTokens,
        avgOutputTokens,
        suggestedModel: step.id,
        currentCostUsd,
        projectedCostUsd,
        rule: policy.rule,
        how: path.how,
        fellBackFrom: step === chosen ? null : { model: chosen.id, priced: chosen.price !== null },
      }),
      avgInputTokens: Math.round(avgInputTokens),
      avgOutputTokens: Math.round(avgOutputTokens),
    }
  }
  return null
}

/** Biggest saving first; ties in a fixed order so the list does not shuffle between page loads. */
function biggestSavingFirst(a: Recommendation, b: Recommendation): number {
  return (
    b.monthlySavingsUsd - a.monthlySavingsUsd ||
    a.provider.localeCompare(b.provider) ||
    a.model.localeCompare(b.model) ||
    (a.task ?? '').localeCompare(b.task ?? '') ||
    (a.feature ?? '').localeCompare(b.feature ?? '')
  )
}
