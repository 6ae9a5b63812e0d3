import { Type } from '@sinclair/typebox'
import type { Elysia } from 'elysia'
import { API_VERSION_PATTERN, validateAzureEndpoint } from '../providers/azure-endpoint'
import type { AdminDeps } from './routes'
import { apiError, json, problemsOf, readJson } from './respond'
import { LIMITS } from '../limits'

export const AzureBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: LIMITS.azureEndpoint }),
    apiVersion: Type.String({ pattern: API_VERSION_PATTERN, description: 'e.g. 2024-10-21, 2024-09-01-preview, or v1' }),
  },
  { additionalProperties: false },
)

/** Validates an Azure settings body; the problems a person can act on, or the values to store. */
export function checkAzureBody(value: unknown, allowPrivate: boolean): { ok: true; endpoint: string; apiVersion: string } | { ok: false; problems: string[] } {
  const problems = problemsOf(AzureBody, value)
  const v = value as { endpoint?: unknown; apiVersion?: unknown }
  // An over-long endpoint is already a problem (maxLength); it is not parsed as a URL on top.
  if (typeof v?.endpoint === 'string' && v.endpoint && v.endpoint.length <= LIMITS.azureEndpoint) {
    const ep = validateAzureEndpoint(v.endpoint, allowPrivate)
    if (!ep.ok) problems.push(...ep.problems)
    else if (!problems.length) return { ok: true, endpoint: ep.endpoint, apiVersion: v.apiVersion as string }
  }
  return { ok: false, problems }
}

/** GET / PUT / DELETE /api/orgs/:org/providers/azure */
export const azureRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) =>
  app
    .get('/orgs/:org/providers/azure', ({ params }) => {
      if (!deps.orgs.get(params.org)) return apiError(404, 'lectr_not_found', `No org "${params.org}".`)
      const s = deps.orgs.getAzure(params.org)
      if (!s) return apiError(404, 'lectr_azure_not_configured', 'Azure is not configured for this org.')
      return json(s)
    })
    .put('/orgs/:org/providers/azure', async ({ params, request }) => {
      if (!deps.orgs.get(params.org)) return apiError(404, 'lectr_not_found', `No org "${params.org}".`)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const checked = checkAzureBody(body.value, deps.allowPrivateUpstreams)
      if (!checked.ok) return apiError(400, 'lectr_invalid_body', 'The Azure settings have problems; nothing was changed.', checked.problems)
      return json(deps.orgs.putAzure(params.org, checked.endpoint, checked.apiVersion))
    }, { parse: 'none' })
    .delete('/orgs/:org/providers/azure', ({ params }) => {
      if (!deps.orgs.get(params.org)) return apiError(404, 'lectr_not_found', `No org "${params.org}".`)
      if (!deps.orgs.deleteAzure(params.org)) return apiError(404, 'lectr_azure_not_configured', 'Azure is not configured for this org.')
      return json({ deleted: true })
    })
