import { Type } from '@sinclair/typebox'
import type { Elysia } from 'elysia'
import type { Recommendation } from '../recommend/types'
import { TASKS, type ProviderId, type Task } from '../domain'
import { PROVIDER_IDS } from '../registry/schema'
import { canaryRuleFor, CANARY_PERCENT } from '../routing/canary-rule'
import { validateRuleSet } from '../routing/validate'
import { recommendationsFor } from './recommendations'
import type { AdminDeps } from './routes'
import { apiError, json, problemsOf, readJson } from './respond'

const WINDOW_DAYS = 30
const DAY_MS = 86_400_000

/** Which recommendation: its group. `task` and `feature` null (or left out) for a group without one. */
export const CanaryBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    task: Type.Optional(Type.Union([Type.Null(), ...TASKS.map((t) => Type.Literal(t))])),
    feature: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 256 })])),
    /** only needed when the same model name has recommendations under two providers */
    provider: Type.Optional(Type.Union(PROVIDER_IDS.map((p) => Type.Literal(p)))),
  },
  { additionalProperties: false },
)

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
export function createCanary(deps: Pick<AdminDeps, 'registry' | 'routing'>, org: string, group: CanaryGroup, recommendations: readonly Recommendation[]): CanaryOutcome {
  const found = recommendations.filter(
    (r) => r.model === group.model && r.task === group.task && r.feature === group.feature && (!group.provider || r.provider === group.provider),
  )
  if (found.length === 0) {
    return { ok: false, status: 404, code: 'lectr_not_found', message: `No recommendation for ${describe(group)} in the last ${WINDOW_DAYS} days.` }
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
  const rules = deps.routing.current(org)?.rules ?? []
  const same = rules.find((r) => r.target.provider === rec.provider && r.target.model === rec.suggestedModel && sameMatch(r.match, canaryRuleFor(rec, new Set()).match))
  if (same) {
    return { ok: false, status: 409, code: 'lectr_rule_exists', message: `Rule "${same.id}" already sends this group to ${rec.suggestedModel}; nothing was changed.` }
  }
  const rule = canaryRuleFor(rec, new Set(rules.map((r) => r.id)))
  const checked = validateRuleSet({ rules: [...rules, rule] }, registry)
  if (!checked.ok) {
    return { ok: false, status: 400, code: 'lectr_invalid_rules', message: 'The rules in force no longer pass validation; fix them first. Nothing was changed.', problems: checked.problems }
  }
  return { ok: true, version: deps.routing.save(org, checked.rules).version, ruleId: rule.id }
}

function sameMatch(a: object, b: object): boolean {
  const canon = (m: object) => JSON.stringify(Object.entries(m).sort(([x], [y]) => x.localeCompare(y)))
  return canon(a) === canon(b)
}

/** `POST /api/orgs/:org/recommendations/canary {model, task, feature}` → `201 {version, ruleId, percent}`. */
export const canaryRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) =>
  app.post('/orgs/:org/recommendations/canary', async ({ params, request }) => {
    if (!deps.orgs.get(params.org)) return apiError(404, 'lectr_not_found', `No org "${params.org}".`)
    const body = await readJson(request)
    if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
    const problems = problemsOf(CanaryBody, body.value)
    if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
    const b = body.value as { model: string; task?: Task | null; feature?: string | null; provider?: ProviderId }
    const until = deps.clock().getTime()
    const recs = recommendationsFor(deps, params.org, until - WINDOW_DAYS * DAY_MS, until)
    const out = createCanary(deps, params.org, { model: b.model, task: b.task ?? null, feature: b.feature || null, provider: b.provider ?? null }, recs)
    if (!out.ok) return apiError(out.status, out.code, out.message, out.problems)
    return json({ version: out.version, ruleId: out.ruleId, percent: CANARY_PERCENT }, 201)
  }, { parse: 'none' })
