import { Elysia } from 'elysia'
import { errorResponse } from '../http/errors'
import { notFoundPage } from '../../views/pages/not-found'
import { guarded, sessionOf, signedIn, type Dashboard } from './context'
import { htmlResponse } from './http'

/**
 * Any other path: a GET gets the dashboard's 404 page (inside the frame when signed in); other methods, and paths
 * under /api and /v1, keep the JSON 404 the rest of Lectr answers with. Registered for every method (`all`) so
 * it ranks below the proxy's own `all('/v1/*')` rather than above it.
 */
export function notFoundRoutes(d: Dashboard) {
  return new Elysia().all(
    '/*',
    guarded(async (ctx) => {
      const { request } = ctx
      const path = new URL(request.url).pathname
      const api = path === '/api' || path.startsWith('/api/') || path === '/v1' || path.startsWith('/v1/')
      if (api || request.method !== 'GET') {
        return errorResponse(404, 'lectr_not_found', `No route ${path}.`)
      }
      const session = await sessionOf(d, request)
      if (!session) return htmlResponse(notFoundPage(null), 404)
      return htmlResponse(notFoundPage((await signedIn(d, ctx, session)).frame('Not found', null)), 404)
    }),
    { parse: 'none' },
  )
}
