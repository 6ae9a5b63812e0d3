import { Elysia } from 'elysia'
import { action, refused, type Dashboard } from './context'
import { safeNext } from './guard'
import { redirect } from './http'

/** POST /orgs/switch: the org this session looks at, kept in the session. */
export function orgRoutes(d: Dashboard) {
  return new Elysia().post(
    '/orgs/switch',
    action(d, async (s, form) => {
      const org = await d.deps.storage.orgs.get(form.get('org') ?? '')
      if (!org) return refused(s.request, 400, 'No such org', 'That org does not exist.', { href: '/', label: 'Go to the overview' })
      await d.sessions.setOrg(s.session.idHash, org.id)
      return redirect(safeNext(form.get('next')) ?? '/')
    }),
    { parse: 'none' },
  )
}
