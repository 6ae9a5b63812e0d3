import { parseEventFilters } from '../operations/event-filters'
import { Type } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { PROVIDER_IDS } from '../registry/schema'
import { healthOf } from '../operations/health'
import { adminGate } from './auth'
import { apiError, json, problemsOf, readJson, orgNotFound } from '../http/respond'
import { LIMITS } from '../limits'
import { parseTimeRange } from '../operations/time-range'
import type { AdminDeps } from '../operations/deps'
import { azureRoutes } from './azure'
import { exportEventsRoute } from '../operations/export'
import { recommendationRoutes } from './recommendations'
import { overrideRoutes } from './overrides'
import { routingRoutes } from './routing'
import { canaryRoutes } from './canary'

const OrgBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: LIMITS.orgName, pattern: '[A-Za-z0-9]' }) }, { additionalProperties: false })
const KeyBody = Type.Object({ label: Type.Optional(Type.String({ maxLength: LIMITS.keyLabel })) }, { additionalProperties: false })
const PROVIDER_SET: ReadonlySet<string> = new Set(PROVIDER_IDS)

/** The JSON admin API under /api. Every route but /api/health needs the admin token. */
export function adminRoutes(deps: AdminDeps) {

  return new Elysia({ prefix: '/api' })
    .get('/health', () => json(healthOf(deps.version, deps.registry.current().version, deps.eventLogHealth?.() ?? null)))
    .onBeforeHandle(({ request, path, server }) => {
      if (path === '/api/health') return
      return adminGate(deps, request, server)
    })
    .get('/orgs', async () => json({ orgs: await deps.storage.orgs.list() }))
    .post('/orgs', async ({ request }) => {
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const problems = problemsOf(OrgBody, body.value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const created = await deps.storage.orgs.create((body.value as { name: string }).name.trim())
      if (!created) return apiError(409, 'lectr_org_exists', 'An org with that name (or URL id) exists already.')
      return json({ id: created.org.id, name: created.org.name, key: created.key, keyId: created.keyId }, 201)
    }, { parse: 'none' })
    .get('/orgs/:org/keys', async ({ params }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      return json({ keys: await deps.storage.orgs.listKeys(params.org) })
    })
    .post('/orgs/:org/keys', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const text = await request.text()
      let value: unknown = {}
      if (text.trim()) {
        try {
          value = JSON.parse(text)
        } catch {
          return apiError(400, 'lectr_invalid_body', 'body is not valid JSON', ['body is not valid JSON'])
        }
      }
      const problems = problemsOf(KeyBody, value)
      if (problems.length) return apiError(400, 'lectr_invalid_body', 'The body has problems.', problems)
      const k = await deps.storage.orgs.addKey(params.org, (value as { label?: string }).label ?? null)
      return json({ id: k.keyId, key: k.key, prefix: k.prefix }, 201)
    }, { parse: 'none' })
    .delete('/orgs/:org/keys/:keyId', async ({ params }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      if (!(await deps.storage.orgs.revokeKey(params.org, params.keyId))) return apiError(404, 'lectr_not_found', 'No such active key.')
      return json({ id: params.keyId, revoked: true })
    })
    .get('/orgs/:org/events', async ({ params, query }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const q = query as Record<string, string | undefined>
      const limit = q.limit === undefined ? 50 : Number(q.limit)
      const parsed = parseEventFilters(q, deps.clock())
      const problems = [...(!Number.isInteger(limit) || limit < 1 || limit > 1000 ? ['limit: expected a whole number from 1 to 1000'] : []), ...parsed.problems]
      if (problems.length || !parsed.filters) return apiError(400, 'lectr_invalid_query', 'The query has problems.', problems)
      await deps.eventsWritten()
      return json(await deps.storage.events.list(params.org, parsed.filters, { limit, cursor: q.cursor || null }))
    })
    .get('/orgs/:org/events/export', ({ params, query }) => exportEventsRoute(deps, params.org, query as Record<string, string | undefined>))
    .get('/orgs/:org/models', async ({ params, query }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const q = query as Record<string, string | undefined>
      const problems: string[] = []
      if (q.provider && !PROVIDER_SET.has(q.provider)) problems.push(`provider: expected one of ${PROVIDER_IDS.join(' ')}`)
      const range = parseTimeRange(q, deps.clock(), null)
      if (!range.ok) problems.push(...range.problems)
      if (problems.length || !range.ok) return apiError(400, 'lectr_invalid_query', 'The query has problems.', problems)
      await deps.eventsWritten()
      return json({ rows: await deps.storage.rollups.modelDistribution(params.org, { provider: q.provider || null, since: range.since, until: range.until }) })
    })
    // Ends every dashboard session: the API's "sign out everywhere".
    .post('/sessions/revoke', async () => json({ revoked: await deps.storage.settings.sessions.deleteAll() }))
    .get('/registry', () => json(deps.registry.toJSON()))
    // With a URL: fetched now, answered once the check is done.
    .post('/registry/reload', async () => {
      const r = await deps.registry.refresh()
      const what = deps.registry.status.url ? 'The registry URL could not be fetched or its document has problems' : 'The registry file has problems'
      if (!r.ok) return json({ error: { message: `${what}; the last good registry stays in force.`, type: 'invalid_request_error', code: 'lectr_registry_invalid', problems: r.errors }, status: deps.registry.toJSON().status }, 422)
      return json({ reloaded: true, status: deps.registry.toJSON().status })
    })
    .use(azureRoutes(deps))
    .use(recommendationRoutes(deps))
    .use(overrideRoutes(deps))
    .use(routingRoutes(deps))
    .use(canaryRoutes(deps))
}
