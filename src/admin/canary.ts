import { Type } from '@sinclair/typebox'
import type { Elysia } from 'elysia'
import { DAY_MS, TASKS, type ProviderId, type Task } from '../domain'
import { PROVIDER_IDS } from '../registry/schema'
import { CANARY_PERCENT } from '../routing/canary-rule'
import type { AdminDeps } from '../operations/deps'
import { CANARY_WINDOW_DAYS, createCanary } from '../operations/canary'
import { recommendationsFor } from '../operations/recommendations'
import { apiError, json, problemsOf, readJson, orgNotFound } from '../http/respond'


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

/** `POST /api/orgs/:org/recommendations/canary {model, task, feature}` → `201 {version, ruleId, percent}`. */
export const canaryRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) =>
  app.post('/orgs/:org/recommendations/canary', async ({ params, request }) => {
    if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
    const body = await readJson(request)
    if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
    const problems = problemsOf(CanaryBody, body.value)
    if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
    const b = body.value as { model: string; task?: Task | null; feature?: string | null; provider?: ProviderId }
    const until = deps.clock().getTime()
    await deps.eventsWritten()
    const recs = await recommendationsFor(deps, params.org, until - CANARY_WINDOW_DAYS * DAY_MS, until)
    const out = await createCanary(deps, params.org, { model: b.model, task: b.task ?? null, feature: b.feature || null, provider: b.provider ?? null }, recs)
    if (!out.ok) return apiError(out.status, out.code, out.message, out.problems)
    return json({ version: out.version, ruleId: out.ruleId, percent: CANARY_PERCENT }, 201)
  }, { parse: 'none' })
