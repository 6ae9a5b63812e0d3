import type { Elysia } from 'elysia'
import type { AdminDeps } from '../operations/deps'
import { checkAzureBody } from '../operations/azure'
import { apiError, json, readJson, orgNotFound } from '../http/respond'

/** GET / PUT / DELETE /api/orgs/:org/providers/azure */
export const azureRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) =>
  app
    .get('/orgs/:org/providers/azure', async ({ params }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const s = await deps.storage.orgs.getAzure(params.org)
      if (!s) return apiError(404, 'lectr_azure_not_configured', 'Azure is not configured for this org.')
      return json(s)
    })
    .put('/orgs/:org/providers/azure', async ({ params, request }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      const body = await readJson(request)
      if (!body.ok) return apiError(400, 'lectr_invalid_body', body.problem, [body.problem])
      const checked = checkAzureBody(body.value, deps.allowPrivateUpstreams)
      if (!checked.ok) return apiError(400, 'lectr_invalid_body', 'The Azure settings have problems; nothing was changed.', checked.problems)
      return json(await deps.storage.orgs.putAzure(params.org, checked.endpoint, checked.apiVersion))
    }, { parse: 'none' })
    .delete('/orgs/:org/providers/azure', async ({ params }) => {
      if (!(await deps.storage.orgs.get(params.org))) return orgNotFound(params.org)
      if (!(await deps.storage.orgs.deleteAzure(params.org))) return apiError(404, 'lectr_azure_not_configured', 'Azure is not configured for this org.')
      return json({ deleted: true })
    })
