import { Type } from '@sinclair/typebox'
import type { Elysia } from 'elysia'
import { detectProvider } from '../registry/detect'
import { TASKS, type ProviderId, type Task } from '../domain'
import { PROVIDER_IDS } from '../registry/schema'
import { firstMatch, type TraceStep } from '../routing/match'
import { validateRuleSet } from '../routing/validate'
import type { Endpoint } from '../domain'
import type { AdminDeps } from '../operations/deps'
import { runDryRun } from '../operations/dry-run'
import { restoreRouting } from '../operations/routing'
import { apiError, json, problemsOf, readJson, orgNotFound } from '../http/respond'
import { parseTimeRange } from '../operations/time-range'

const RestoreBody = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
const Time = Type.Union([Type.String({ maxLength: 64 }), Type.Integer({ minimum: 0 })])
/** The rules are checked by validateRuleSet, with the registry. */
const DryRunBody = Type.Object({ rules: Type.Unknown(), since: Type.Optional(Time), until: Type.Optional(Time) }, { additionalProperties: false })
const DRY_RUN_DEFAULT_DAYS = 30

const ExplainBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    provider: Type.Optional(Type.Union(PROVIDER_IDS.map((p) => Type.Literal(p)))),
    feature: Type.Optional(Type.String({ maxLength: 256 })),
    task: Type.Optional(Type.Union(TASKS.map((t) => Type.Literal(t)))),
    endpoint: Type.Optional(
      Type.Union(['chat/completions', 'completions', 'embeddings', 'responses', 'messages', 'messages/count_tokens', 'other'].map((e) => Type.Literal(e))),
    ),
    stream: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

/**
 * The routing rules of an org (SPEC section 9): GET/PUT the rules in force, their versions, restore one, explain
 * which rule a described request gets, and each rule's arms compared.
 */
export const routingRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) =>
  app
    .get('/orgs/:org/routing', async ({ params }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const v = await deps.storage.settings.routing.current(params.org)
      return json(v ?? { version: 0, rules: [], updatedAt: null })
    })
    .put('/orgs/:org/routing', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const checked = validateRuleSet(body.value, deps.registry.current())
      if (!checked.ok) return apiError(400, 'lectr_invalid_rules', 'The rule set has problems; nothing was changed.', checked.problems)
      return json({ version: (await deps.storage.settings.routing.save(params.org, checked.rules)).version })
    }, { parse: 'none' })
    .get('/orgs/:org/routing/versions', async ({ params }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const inForce = (await deps.storage.settings.routing.current(params.org))?.version ?? 0
      return json({ versions: (await deps.storage.settings.routing.versions(params.org)).map((v) => ({ ...v, inForce: v.version === inForce })) })
    })
    .post('/orgs/:org/routing/restore', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const problems = problemsOf(RestoreBody, body.value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const version = (body.value as { version: number }).version
      const out = await restoreRouting(deps, params.org, version)
      if (!out.ok) return apiError(out.status, out.code, out.message, out.problems)
      return json({ version: out.version, restoredFrom: version })
    }, { parse: 'none' })
    .post('/orgs/:org/routing/dry-run', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const problems = problemsOf(DryRunBody, body.value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const b = body.value as { rules: unknown; since?: string | number; until?: string | number }
      const range = parseTimeRange(
        { since: b.since === undefined ? undefined : String(b.since), until: b.until === undefined ? undefined : String(b.until) },
        deps.clock(),
        DRY_RUN_DEFAULT_DAYS,
      )
      const checked = validateRuleSet({ rules: b.rules }, deps.registry.current())
      const all = [...(range.ok ? [] : range.problems), ...(checked.ok ? [] : checked.problems)]
      if (!range.ok || !checked.ok) return apiError(400, 'lectr_invalid_rules', 'The dry run has problems; nothing was run or saved.', all)
      await deps.eventsWritten()
      const until = range.until ?? deps.clock().getTime()
      return json(await runDryRun(deps, params.org, checked.rules, range.since!, until))
    }, { parse: 'none' })
    .post('/orgs/:org/routing/explain', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const problems = problemsOf(ExplainBody, body.value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const b = body.value as { model: string; provider?: ProviderId; feature?: string; task?: Task; endpoint?: Endpoint; stream?: boolean }
      const endpoint = b.endpoint ?? 'chat/completions'
      const detected = endpoint === 'messages' || endpoint === 'messages/count_tokens' ? null : detectProvider(deps.registry.current(), b.model, b.provider ?? null)
      const provider: ProviderId = detected?.ok ? detected.provider : 'anthropic'
      const trace: TraceStep[] = []
      const rules = (await deps.storage.settings.routing.current(params.org))?.rules ?? []
      const rule = firstMatch(rules, { model: b.model, provider, feature: b.feature || null, task: b.task ?? null, endpoint, stream: b.stream ?? false }, trace)
      if (!rule) return json({ ruleId: null, provider, trace })
      const percent = rule.percent ?? 100
      // The arm is drawn per request (a hash of its event id): certain only at 100%.
      return json({ ruleId: rule.id, ...(percent >= 100 ? { arm: 'canary' } : {}), percent, provider, target: rule.target, fallbacks: rule.fallbacks ?? [], trace })
    }, { parse: 'none' })
    .get('/orgs/:org/routing/arms', async ({ params, query }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const range = parseTimeRange(query as Record<string, string | undefined>, deps.clock(), null)
      if (!range.ok) return apiError(400, 'lectr_invalid_query', 'The query has problems.', range.problems)
      await deps.eventsWritten()
      return json({ arms: await deps.storage.events.arms(params.org, range.since, range.until) })
    })

