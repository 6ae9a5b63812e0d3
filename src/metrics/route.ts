import type { Server } from 'bun'
import { Elysia } from 'elysia'
import { hashSecret } from '../auth/secrets'
import type { AdminTokenThrottle } from '../auth/throttle'
import { tokenGate } from '../auth/token-gate'
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
  const messages = {
    tooMany: 'Too many wrong tokens from this address.',
    unauthorized: 'Send the admin token (or LECTR_METRICS_TOKEN) as Authorization: Bearer <token>.',
  }
  const gate = (request: Request, server: Server<unknown> | null | undefined): Response | undefined =>
    tokenGate(deps.tokenThrottle, metricsHash ? [deps.adminTokenHash(), metricsHash] : [deps.adminTokenHash()], messages, request, server)
  const app = new Elysia()
  if (!deps.render) return app
  const render = deps.render
  return app.get('/metrics', ({ request, server }) => gate(request, server) ?? new Response(render(), { headers: { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' } }))
}
