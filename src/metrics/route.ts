import type { Server } from 'bun'
import { Elysia } from 'elysia'
import { apiError } from '../http/respond'
import { isAdminToken } from '../auth/admin-token'
import { hashSecret } from '../auth/secrets'
import { clientAddress, type AdminTokenThrottle } from '../auth/throttle'
import { CONTENT_TYPE } from './prom-text'

export interface MetricsRouteDeps {
  adminTokenHash: () => string
  tokenThrottle: AdminTokenThrottle
  /** LECTR_METRICS_TOKEN: a scraper's token that opens /metrics and nothing else; the admin token works too */
  metricsToken: string | null
  /** the exposition; undefined when this app has no collector (nothing is served) */
  render?: () => string
}

/**
 * `GET /metrics` behind `Authorization: Bearer <admin token or LECTR_METRICS_TOKEN>`, throttled per address like
 * the admin API: wrong tokens count towards the same lock-out.
 */
export function metricsRoutes(deps: MetricsRouteDeps) {
  const metricsHash = deps.metricsToken ? hashSecret(deps.metricsToken) : null
  const gate = (request: Request, server: Server<unknown> | null | undefined): Response | undefined => {
    const address = clientAddress(request, server)
    const check = deps.tokenThrottle.check(address)
    if (!check.allowed) {
      const seconds = Math.ceil(check.retryAfterMs / 1000)
      const res = apiError(429, 'lectr_too_many_attempts', `Too many wrong tokens from this address. Try again in ${seconds} s.`)
      res.headers.set('retry-after', String(seconds))
      return res
    }
    const presented = request.headers.get('authorization')
    // Both compared, whichever matches, so the time taken says nothing about which token it was.
    const isAdmin = isAdminToken(presented, deps.adminTokenHash())
    const isScraper = metricsHash !== null && isAdminToken(presented, metricsHash)
    if (isAdmin || isScraper) {
      deps.tokenThrottle.success(address)
      return undefined
    }
    if (presented?.trim()) deps.tokenThrottle.failure(address)
    return apiError(401, 'lectr_unauthorized', 'Send the admin token (or LECTR_METRICS_TOKEN) as Authorization: Bearer <token>.')
  }
  const app = new Elysia()
  if (!deps.render) return app
  const render = deps.render
  return app.get('/metrics', ({ request, server }) => gate(request, server) ?? new Response(render(), { headers: { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' } }))
}
