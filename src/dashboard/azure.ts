import { Elysia } from 'elysia'
import { checkAzureBody } from '../operations/azure'
import { azurePage } from '../../views/pages/azure'
import type { AzureData, FieldError } from '../../views/types'
import { action, page, type Dashboard, type SignedIn } from './context'
import { htmlResponse, redirect } from './http'

const NOTICES: Record<string, string> = { saved: 'Azure settings saved.', removed: 'Azure settings removed.' }

/** The admin API's problems (`/endpoint: must start with https://`) as form errors under their fields. */
export function fieldErrors(problems: string[]): FieldError[] {
  return problems.map((p) => {
    const m = /^\/(endpoint|apiVersion): (.*)$/s.exec(p)
    return m ? { field: m[1]!, message: m[2]! } : { field: null, message: p.replace(/^\/: /, '') }
  })
}

async function render(d: Dashboard, s: SignedIn, data: Omit<AzureData, 'saved'>, status = 200): Promise<Response> {
  const saved = await d.deps.storage.orgs.getAzure(s.org)
  return htmlResponse(azurePage(s.frame('Azure', 'azure'), { saved: saved && { endpoint: saved.endpoint, apiVersion: saved.apiVersion }, ...data }), status)
}

/** GET/POST /settings/azure and POST /settings/azure/delete: the org's Azure endpoint, validated as the admin API does. */
export function azureRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/settings/azure',
      page(d, (s) => render(d, s, { notice: NOTICES[s.url.searchParams.get('done') ?? ''] ?? null })),
    )
    .post(
      '/settings/azure',
      action(d, async (s, form) => {
        const submitted = { endpoint: (form.get('endpoint') ?? '').trim(), apiVersion: (form.get('apiVersion') ?? '').trim() }
        const checked = checkAzureBody(submitted, d.deps.allowPrivateUpstreams)
        if (!checked.ok) return render(d, s, { form: submitted, errors: fieldErrors(checked.problems) }, 400)
        await d.deps.storage.orgs.putAzure(s.org, checked.endpoint, checked.apiVersion)
        return redirect('/settings/azure?done=saved')
      }),
      { parse: 'none' },
    )
    .post(
      '/settings/azure/delete',
      action(d, async (s) => {
        await d.deps.storage.orgs.deleteAzure(s.org)
        return redirect('/settings/azure?done=removed')
      }),
      { parse: 'none' },
    )
}
