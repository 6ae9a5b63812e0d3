import type { Server } from 'bun'
import { Elysia } from 'elysia'
import { adminRoutes } from './admin/routes'
import { AdminTokenThrottle } from './auth/throttle'
import type { Config } from './config'
import type { LectrEvent } from './domain'
import type { EventLogHealth } from './events/writer'
import { createProxyHandler } from './proxy/handler'
import { modelsList } from './proxy/models'
import { errorResponse } from './http/errors'
import type { RegistryStore } from './registry/store'
import { dashboardRoutes } from './dashboard/routes'
import { metricsRoutes } from './metrics/route'
import { withOverrides } from './registry/overlay'
import type { Storage } from './storage'
import { storageUnavailable } from './storage/unavailable'
import { apiError } from './http/respond'
import { htmlResponse } from './dashboard/http'

export interface AppDeps {
  config: Config
  storage: Storage
  registry: RegistryStore
  /** where finished events go (the batched writer); null when the event log is off */
  record: ((e: LectrEvent, complete?: () => void, overheadMs?: number) => void) | null
  /** see AdminDeps.eventsWritten */
  eventsWritten: () => Promise<void>
  eventLogHealth?: () => EventLogHealth
  adminTokenHash: () => string
  version: string
  clock?: () => Date
  fetch?: typeof fetch
  inflight?: { add(): void; done(): void; readonly closing?: boolean }
  /** the Prometheus exposition behind GET /metrics (absent: no /metrics) */
  metrics?: () => string
}

/** Composes the proxy, the admin API and the dashboard. Never listens: main.ts does, tests call `handle`. */
export function createApp(deps: AppDeps) {
  const clock = deps.clock ?? (() => new Date())
  const { orgs, settings } = deps.storage
  // Before the first request: the overrides in the database price it, and every change the next one.
  settings.priceOverrides.inForce.watch((overrides) => deps.registry.setOverlay((registry) => withOverrides(registry, overrides)))
  const proxy = createProxyHandler({
    routing: settings.routing.inForce,
    config: deps.config,
    orgs: orgs.inForce,
    registry: deps.registry,
    record: deps.record,
    fetch: deps.fetch,
    inflight: deps.inflight,
  })
  const adminDeps = {
    storage: deps.storage, registry: deps.registry, adminTokenHash: deps.adminTokenHash, version: deps.version,
    tokenThrottle: new AdminTokenThrottle(() => clock().getTime()), clock, allowPrivateUpstreams: deps.config.allowPrivateUpstreams, eventsWritten: deps.eventsWritten,
    eventLogHealth: deps.eventLogHealth,
  }
  // /v1 is served as a native Bun route, outside Elysia's router and context: the proxy is the hot path. The Elysia
  // route below serves the same handler to `app.handle` (in-memory tests), where there is no Bun router.
  const v1 = (request: Request, server: Server<unknown>) => proxy(request, server)
  return new Elysia({ serve: { routes: { '/v1/*': v1 } } })
    .get('/v1/models', ({ request }) => {
      if (!orgs.inForce.authenticate(request.headers.get('x-lectr-key'))) {
        return errorResponse(401, 'lectr_invalid_org_key', 'Missing or invalid X-Lectr-Key header.')
      }
      return new Response(JSON.stringify(modelsList(deps.registry.current())), { headers: { 'content-type': 'application/json' } })
    })
    .all('/v1/*', ({ request, server }) => proxy(request, server), { parse: 'none' })
    // Before the routes below, so it covers them. The database is away (Postgres stopped or restarting): say so at
    // once, never a 500 or a hang. The proxy, which reads only memory, goes on.
    .onError({ as: 'global' }, ({ error, path }) => (storageUnavailable(error) ? databaseUnavailable(path) : undefined))
    .use(adminRoutes(adminDeps))
    .use(metricsRoutes({ ...adminDeps, metricsToken: deps.config.metricsToken, render: deps.metrics }))
    .use(dashboardRoutes({ ...adminDeps, config: deps.config }))
    .onError(({ code, path }) => {
      if (code === 'NOT_FOUND') {
        return errorResponse(404, 'lectr_not_found', `No route ${path}.`)
      }
    })
}

const UNAVAILABLE = 'The database cannot be reached right now; try again shortly. The proxy keeps serving meanwhile.'

/** 503 in the shape of the surface asked: the admin API's JSON error, else a plain dashboard page. */
function databaseUnavailable(path: string): Response {
  const res = path.startsWith('/api/') || path.startsWith('/metrics')
    ? apiError(503, 'lectr_database_unavailable', UNAVAILABLE)
    : htmlResponse(`<!doctype html><meta charset="utf-8"><title>Lectr: database unavailable</title><p>${UNAVAILABLE}</p>`, 503)
  res.headers.set('retry-after', '5')
  return res
}
