import { Elysia } from 'elysia'
import { keysPage } from '../../views/pages/keys'
import type { KeysData } from '../../views/types'
import { action, page, type Dashboard, type SignedIn } from './context'
import { htmlResponse, redirect } from './http'
import { LIMITS } from '../limits'

const NOTICES: Record<string, string> = { revoked: 'Key revoked. Requests with it now get 401.' }
const MAX_LABEL = LIMITS.keyLabel

async function render(d: Dashboard, s: SignedIn, data: Omit<KeysData, 'keys'>, status = 200): Promise<Response> {
  const keys = (await d.deps.storage.orgs.listKeys(s.org)).map((k) => ({ id: k.id, prefix: k.prefix, label: k.label, createdAt: k.createdAt, revokedAt: k.revokedAt }))
  return htmlResponse(keysPage(s.frame('Keys', 'keys'), { keys, ...data }), status)
}

/** GET/POST /settings/keys and POST /settings/keys/:id/revoke. A new key is shown in the answer to its POST, once. */
export function keyRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/settings/keys',
      page(d, (s) => {
        const done = s.url.searchParams.get('done')
        if (done === 'missing') return render(d, s, { error: 'That key does not exist or was revoked already.' })
        return render(d, s, { notice: NOTICES[done ?? ''] ?? null })
      }),
    )
    .post(
      '/settings/keys',
      action(d, async (s, form) => {
        const label = (form.get('label') ?? '').trim()
        if (label.length > MAX_LABEL) return render(d, s, { error: `The label is longer than ${MAX_LABEL} characters; no key was created.` }, 400)
        const created = await d.deps.storage.orgs.addKey(s.org, label || null)
        return render(d, s, { newKey: created.key })
      }),
      { parse: 'none' },
    )
    .post(
      '/settings/keys/:id/revoke',
      action(d, async (s) => redirect(await d.deps.storage.orgs.revokeKey(s.org, s.params.id ?? '') ? '/settings/keys?done=revoked' : '/settings/keys?done=missing')),
      { parse: 'none' },
    )
}
