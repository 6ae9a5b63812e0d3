import { Type } from '@sinclair/typebox'
import type { Elysia } from 'elysia'
import { idFloorOf } from '../events/queries'
import { detectProvider } from '../registry/detect'
import { TASKS, type ProviderId, type Task } from '../domain'
import { PROVIDER_IDS } from '../registry/schema'
import { firstMatch, type TraceStep } from '../routing/match'
import { validateRuleSet } from '../routing/validate'
import type { Endpoint } from '../domain'
import type { AdminDeps } from './routes'
import { apiError, json, problemsOf, readJson } from './respond'
import { parseTimeRange } from './time-range'

const RestoreBody = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })
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
    .get('/orgs/:org/routing', ({ params }) => {
      if (!deps.orgs.get(params.org)) return notFound(params.org)
      const v = deps.routing.current(params.org)
      return json(v ?? { version: 0, rules: [], updatedAt: null })
    })
    .put('/orgs/:org/routing', async ({ params, request }) => {
      if (!deps.orgs.get(params.org)) return notFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const checked = validateRuleSet(body.value, deps.registry.current())
      if (!checked.ok) return apiError(400, 'lectr_invalid_rules', 'The rule set has problems; nothing was changed.', checked.problems)
      return json({ version: deps.routing.save(params.org, checked.rules).version })
    }, { parse: 'none' })
    .get('/orgs/:org/routing/versions', ({ params }) => {
      if (!deps.orgs.get(params.org)) return notFound(params.org)
      const inForce = deps.routing.current(params.org)?.version ?? 0
      return json({ versions: deps.routing.versions(params.org).map((v) => ({ ...v, inForce: v.version === inForce })) })
    })
    .post('/orgs/:org/routing/restore', async ({ params, request }) => {
      if (!deps.orgs.get(params.org)) return notFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const problems = problemsOf(RestoreBody, body.value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const version = (body.value as { version: number }).version
      const out = restoreRouting(deps, params.org, version)
      if (!out.ok) return apiError(out.status, out.code, out.message, out.problems)
      return json({ version: out.version, restoredFrom: version })
    }, { parse: 'none' })
    .post('/orgs/:org/routing/explain', async ({ params, request }) => {
      if (!deps.orgs.get(params.org)) return notFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const problems = problemsOf(ExplainBody, body.value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const b = body.value as { model: string; provider?: ProviderId; feature?: string; task?: Task; endpoint?: Endpoint; stream?: boolean }
      const endpoint = b.endpoint ?? 'chat/completions'
      const detected = endpoint === 'messages' || endpoint === 'messages/count_tokens' ? null : detectProvider(deps.registry.current(), b.model, b.provider ?? null)
      const provider: ProviderId = detected?.ok ? detected.provider : 'anthropic'
      const trace: TraceStep[] = []
      const rules = deps.routing.current(params.org)?.rules ?? []
      const rule = firstMatch(rules, { model: b.model, provider, feature: b.feature || null, task: b.task ?? null, endpoint, stream: b.stream ?? false }, trace)
      if (!rule) return json({ ruleId: null, provider, trace })
      const percent = rule.percent ?? 100
      // The arm is drawn per request (a hash of its event id): certain only at 100%.
      return json({ ruleId: rule.id, ...(percent >= 100 ? { arm: 'canary' } : {}), percent, provider, target: rule.target, fallbacks: rule.fallbacks ?? [], trace })
    }, { parse: 'none' })
    .get('/orgs/:org/routing/arms', ({ params, query }) => {
      if (!deps.orgs.get(params.org)) return notFound(params.org)
      const range = parseTimeRange(query as Record<string, string | undefined>, deps.clock(), null)
      if (!range.ok) return apiError(400, 'lectr_invalid_query', 'The query has problems.', range.problems)
      return json({ arms: armsOf(deps, params.org, range.since, range.until) })
    })

/**
 * Saves an old version's rules as the newest, checked against the registry in force first: it may have changed
 * since, and a version whose targets are no longer valid is not put back in force.
 */
export function restoreRouting(
  deps: Pick<AdminDeps, 'routing' | 'registry'>,
  org: string,
  version: number,
): { ok: true; version: number } | { ok: false; status: 400 | 404; code: string; message: string; problems?: string[] } {
  const old = deps.routing.versions(org).find((v) => v.version === version)
  if (!old) return { ok: false, status: 404, code: 'lectr_not_found', message: `Org "${org}" has no routing version ${version}.` }
  const checked = validateRuleSet({ rules: old.rules }, deps.registry.current())
  if (!checked.ok) return { ok: false, status: 400, code: 'lectr_invalid_rules', message: `Version ${version} no longer passes validation; nothing was changed.`, problems: checked.problems }
  return { ok: true, version: deps.routing.save(org, checked.rules).version }
}

/** One rule's arm over a window (SPEC section 9), as the API and the dashboard's Routing page show it. */
export interface ArmRow {
  ruleId: string
  arm: 'canary' | 'control'
  requests: number
  errors: number
  avgLatencyMs: number
  avgOutputTokens: number | null
  costUsd: number
  costPerRequestUsd: number
  baselineCostUsd: number
}

/** Each rule's canary and control arms in a window (null ends: unbounded), by rule id then arm. */
export function armsOf(deps: Pick<AdminDeps, 'db' | 'flushEvents'>, org: string, since: number | null, until: number | null): ArmRow[] {
  deps.flushEvents()
  // Ids are UUIDv7: the (org_id, id) index bounds the window, no index on time needed.
  const rows = deps.db
    .query(
      `SELECT rule_id AS ruleId, arm, COUNT(*) AS requests, SUM(status >= 400) AS errors, AVG(latency_ms) AS avgLatencyMs,
              AVG(output_tokens) AS avgOutputTokens, TOTAL(cost_usd) AS costUsd, TOTAL(baseline_cost_usd) AS baselineCostUsd
       FROM events WHERE org_id = ? AND id >= ? AND id < ? AND rule_id IS NOT NULL AND arm IS NOT NULL
       GROUP BY rule_id, arm ORDER BY rule_id, arm`,
    )
    .all(org, idFloorOf(since ?? 0), until === null ? 'g' : idFloorOf(until)) as any[]
  return rows.map((r) => ({
    ...r,
    avgLatencyMs: Math.round(r.avgLatencyMs * 100) / 100,
    avgOutputTokens: r.avgOutputTokens === null ? null : Math.round(r.avgOutputTokens * 100) / 100,
    costUsd: Math.round(r.costUsd * 1e10) / 1e10,
    costPerRequestUsd: Math.round((r.costUsd / r.requests) * 1e10) / 1e10,
    baselineCostUsd: Math.round(r.baselineCostUsd * 1e10) / 1e10,
  }))
}

function notFound(org: string): Response {
  return apiError(404, 'lectr_not_found', `No org "${org}".`)
}
