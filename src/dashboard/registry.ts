import { Elysia } from 'elysia'
import { registryPage } from '../../views/pages/registry'
import { action, page, type Dashboard } from './context'
import { htmlResponse, redirect } from './http'

/** GET /registry (source, version, last reload, errors, models) and POST /registry/reload. */
export function registryRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/registry',
      page(d, (s) => {
        const json = d.deps.registry.toJSON()
        const done = s.url.searchParams.get('done')
        const notice =
          done === 'reloaded'
            ? json.status.source === 'builtin'
              ? 'Lectr uses its built-in registry: there is no file to reload. Start it with --registry FILE to use your own.'
              : 'Registry reloaded.'
            : null
        return htmlResponse(
          registryPage(s.frame('Registry', 'registry'), {
            status: { ...json.status, source: json.status.source === 'builtin' ? 'built-in' : json.status.source },
            models: d.deps.registry.current().file.models,
            notice,
            now: d.deps.clock().toISOString(),
          }),
        )
      }),
    )
    .post(
      '/registry/reload',
      action(d, () => redirect(d.deps.registry.reload().ok ? '/registry?done=reloaded' : '/registry?done=failed')),
      { parse: 'none' },
    )
}
