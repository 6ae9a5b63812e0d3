import type { Recommendation } from '../recommend/types'
import type { Rule } from './schema'

/** The share a rule created from a recommendation starts at (SPEC section 9). */
export const CANARY_PERCENT = 10

const ID_MAX = 64

/**
 * An id for a recommendation's group, `[a-z0-9-]{1,64}` and not one of `taken`: `canary-<model>-<task>-<feature>`
 * slugged, cut to fit, then `-2`, `-3`… until free.
 *
 * @example canaryRuleId({ model: 'gpt-4o', task: 'classification', feature: 'Triage Bot' }, new Set())
 * // 'canary-gpt-4o-classification-triage-bot'
 */
export function canaryRuleId(group: Pick<Recommendation, 'model' | 'task' | 'feature'>, taken: ReadonlySet<string>): string {
  const slug = ['canary', group.model, group.task, group.feature]
    .filter((p): p is string => !!p)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  const base = slug.slice(0, ID_MAX).replace(/-+$/, '') || 'canary'
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) {
    const suffix = `-${n}`
    const id = base.slice(0, ID_MAX - suffix.length).replace(/-+$/, '') + suffix
    if (!taken.has(id)) return id
  }
}

/**
 * The enabled canary rule for a recommendation: its provider, model, task and feature matched (a group without a
 * task or feature has no such condition: the rule language cannot say "absent"), the suggested model of the same
 * provider as the target, at `CANARY_PERCENT`.
 */
export function canaryRuleFor(rec: Recommendation, taken: ReadonlySet<string>): Rule {
  return {
    id: canaryRuleId(rec, taken),
    enabled: true,
    match: {
      provider: [rec.provider],
      model: [rec.model],
      ...(rec.task ? { task: [rec.task] } : {}),
      ...(rec.feature ? { feature: [rec.feature] } : {}),
    },
    target: { provider: rec.provider, model: rec.suggestedModel },
    percent: CANARY_PERCENT,
  }
}
