import type { Elysia } from 'elysia'
import { overrideProblems } from '../registry/overrides'
import type { ProviderId } from '../domain'
import type { Price } from '../registry/schema'
import type { AdminDeps } from '../operations/deps'
import { apiError, json, readJson, orgNotFound } from '../http/respond'
import { parseTimeRange } from '../operations/time-range'

/**
 * Prices added by an admin and re-pricing (SPEC section 12):
 * `GET /api/registry/overrides`, `PUT|DELETE /api/registry/overrides/:provider/:model` and
 * `POST /api/orgs/:org/reprice {since, until?}`. A model id may contain `/` (Groq's `openai/gpt-oss-120b`): send it
 * URL-encoded (`openai%2Fgpt-oss-120b`) or as it is.
 */
export const overrideRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) => {
  const put = async (provider: string, model: string, request: Request) => {
    const body = await readJson(request)
    if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
    const problems = overrideProblems(provider, model, body.value)
    if (problems.length) return apiError(400, 'lectr_invalid_body', 'The override has problems; nothing was changed.', problems)
    const { created, override } = await deps.storage.settings.priceOverrides.put(provider as ProviderId, model, (body.value as { price: Price }).price)
    return json(override, created ? 201 : 200)
  }
  const remove = async (provider: string, model: string) => {
    if (!(await deps.storage.settings.priceOverrides.remove(provider, model))) return apiError(404, 'lectr_not_found', `No price override for ${provider} ${JSON.stringify(model.slice(0, 256))}.`)
    return new Response(null, { status: 204 })
  }
  return app
    .get('/registry/overrides', async () => json({ overrides: await deps.storage.settings.priceOverrides.list(), registryVersion: deps.registry.current().overrides?.version ?? null }))
    .put('/registry/overrides/:provider/:model', ({ params, request }) => put(params.provider, params.model, request), { parse: 'none' })
    .put('/registry/overrides/:provider/*', ({ params, request }) => put(params.provider, rawModel(params['*']), request), { parse: 'none' })
    .delete('/registry/overrides/:provider/:model', ({ params }) => remove(params.provider, params.model))
    .delete('/registry/overrides/:provider/*', ({ params }) => remove(params.provider, rawModel(params['*'])))
    .post('/orgs/:org/reprice', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const window = repriceWindow(body.value, deps.clock())
      if (!window.ok) return apiError(400, 'lectr_invalid_body', 'The body has problems; nothing was re-priced.', window.problems)
      await deps.eventsWritten()
      const result = await deps.storage.rollups.reprice(params.org, window.since, window.until, deps.registry.current())
      return json({ ...result, since: new Date(window.since).toISOString(), until: new Date(window.until).toISOString() })
    }, { parse: 'none' })
}

/** The router leaves a wildcard's escapes as they came: `a%20b/c` is the model `a b/c`. */
function rawModel(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '')
  } catch {
    return segment ?? ''
  }
}

/**
 * `{since, until?}` of a re-price: ISO 8601 times or ms since the epoch (numbers or digit strings), like every time
 * range of the API; `until` defaults to now. `since` is required: re-pricing names the window it changes.
 */
export function repriceWindow(body: unknown, now: Date): { ok: true; since: number; until: number } | { ok: false; problems: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problems: ['/: expected an object {since, until}'] }
  const fields = body as Record<string, unknown>
  const problems: string[] = []
  for (const key of Object.keys(fields)) if (key !== 'since' && key !== 'until') problems.push(`/${key}: unexpected property (expected since, until)`)
  const text: Record<string, string | undefined> = {}
  for (const key of ['since', 'until'] as const) {
    const value = fields[key]
    if (value === undefined || value === null) continue
    if (typeof value === 'number' && Number.isFinite(value)) text[key] = String(Math.trunc(value))
    else if (typeof value === 'string' && value !== '') text[key] = value
    else problems.push(`/${key}: expected an ISO 8601 time or ms since the epoch`)
  }
  if (fields.since === undefined || fields.since === null) problems.push('/since: required (an ISO 8601 time or ms since the epoch)')
  const range = parseTimeRange(text, now, null)
  if (!range.ok) problems.push(...range.problems.map((p) => `/${p}`))
  if (problems.length || !range.ok || range.since === null) return { ok: false, problems }
  return { ok: true, since: range.since, until: range.until ?? now.getTime() }
}
