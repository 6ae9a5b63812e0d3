import type { ProviderId, Task } from '../domain'
import type { Recommendation } from '../recommend/types'
import { canaryRuleFor } from '../routing/canary-rule'
import { validateRuleSet } from '../routing/validate'
import type { AdminDeps } from './deps'

/** The window recommendations are computed over, as the canary's "not found" message names it. */
export const CANARY_WINDOW_DAYS = 30

export interface CanaryGroup {
  model: string
  task: Task | null
  feature: string | null
  provider?: ProviderId | null
}

export type CanaryOutcome =
  | { ok: true; version: number; ruleId: string }
  | { ok: false; status: 400 | 404 | 409; code: string; message: string; problems?: string[] }

function describe(g: CanaryGroup): string {
  return `model "${g.model}", ${g.task ? `task ${g.task}` : 'no task'}, ${g.feature ? `feature "${g.feature}"` : 'no feature'}`
}

/**
 * Turns one of `recommendations` (the current window's) into an enabled canary rule at 10%, appended to the org's
 * rules as a new version. The API and the dashboard's button both come here. Changes nothing when the group has
 * no recommendation, when its suggestion is not a routing target, when the same canary is already there, or
 * when the rule set would not pass validation.
 */
export async function createCanary(deps: Pick<AdminDeps, 'registry' | 'storage'>, org: string, group: CanaryGroup, recommendations: readonly Recommendation[]): Promise<CanaryOutcome> {
  const found = recommendations.filter(
    (r) => r.model === group.model && r.task === group.task && r.feature === group.feature && (!group.provider || r.provider === group.provider),
  )
  if (found.length === 0) {
    return { ok: false, status: 404, code: 'lectr_not_found', message: `No recommendation for ${describe(group)} in the last ${CANARY_WINDOW_DAYS} days.` }
  }
  if (found.length > 1) {
    return { ok: false, status: 400, code: 'lectr_ambiguous', message: `${describe(group)} has recommendations under ${found.map((r) => r.provider).join(' and ')}; say which with "provider".` }
  }
  const rec = found[0]!
  if (rec.provider === 'azure') {
    // An Azure target names a deployment, which the registry cannot know: the suggestion is a model id.
    return { ok: false, status: 400, code: 'lectr_not_routable', message: `An Azure target is a deployment name; create a rule to your ${rec.suggestedModel} deployment in the routing editor.` }
  }
  const registry = deps.registry.current()
  const entry = registry.models.get(rec.suggestedModel)
  if (!entry || entry.provider !== rec.provider || !entry.routingTarget) {
    return { ok: false, status: 400, code: 'lectr_not_routable', message: `The suggested model ${rec.provider}/${rec.suggestedModel} is not a routing target in the registry, so no rule can send traffic to it.` }
  }
  const rules = (await deps.storage.settings.routing.current(org))?.rules ?? []
  const same = rules.find((r) => r.target.provider === rec.provider && r.target.model === rec.suggestedModel && sameMatch(r.match, canaryRuleFor(rec, new Set()).match))
  if (same) {
    return { ok: false, status: 409, code: 'lectr_rule_exists', message: `Rule "${same.id}" already sends this group to ${rec.suggestedModel}; nothing was changed.` }
  }
  const rule = canaryRuleFor(rec, new Set(rules.map((r) => r.id)))
  const checked = validateRuleSet({ rules: [...rules, rule] }, registry)
  if (!checked.ok) {
    return { ok: false, status: 400, code: 'lectr_invalid_rules', message: 'The rules in force no longer pass validation; fix them first. Nothing was changed.', problems: checked.problems }
  }
  return { ok: true, version: (await deps.storage.settings.routing.save(org, checked.rules)).version, ruleId: rule.id }
}

function sameMatch(a: object, b: object): boolean {
  const canon = (m: object) => JSON.stringify(Object.entries(m).sort(([x], [y]) => x.localeCompare(y)))
  return canon(a) === canon(b)
}
