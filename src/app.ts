import type { Server } from 'bun'
import type { Database } from 'bun:sqlite'
import { Elysia } from 'elysia'
import { adminRoutes } from './admin/routes'
import { AdminTokenThrottle } from './auth/throttle'
import type { Config } from './config'
import type { LectrEvent } from './domain'
import type { EventLogHealth } from './events/writer'
import type { OrgStore } from './orgs/store'
import { createProxyHandler } from './proxy/handler'
import { modelsList } from './proxy/models'
import { errorResponse } from './http/errors'
import type { RegistryStore } from './registry/store'
import { dashboardRoutes } from './dashboard/routes'
import { metricsRoutes } from './metrics/route'
import { PriceOverrideStore } from './registry/overrides'
import { RoutingStore } from './routing/store'
import type { Storage } from './storage'

export interface AppDeps {
  config: Config
  db: Database
  /** the stores behind interfaces (src/storage/): `openSqliteStorage(db)` */
  storage: Storage
  orgs: OrgStore
  registry: RegistryStore
  /** where finished events go (the batched writer); null when the event log is off */
  record: ((e: LectrEvent, complete?: () => void, overheadMs?: number) => void) | null
  flushEvents: () => void
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
  const routing = new RoutingStore(deps.db, clock)
  const proxy = createProxyHandler({
    routing,
    config: deps.config,
    orgs: deps.orgs,
    registry: deps.registry,
    record: deps.record,
    fetch: deps.fetch,
    inflight: deps.inflight,
  })
  const adminDeps = {
    db: deps.db, orgs: deps.orgs, registry: deps.registry, adminTokenHash: deps.adminTokenHash, version: deps.version,
    tokenThrottle: new AdminTokenThrottle(() => clock().getTime()), clock, allowPrivateUpstreams: deps.config.allowPrivateUpstreams, flushEvents: deps.flushEvents,
    eventLogHealth: deps.eventLogHealth, routing, storage: deps.storage,
    // Before the first request: the overrides in the database price it.
    overrides: new PriceOverrideStore(deps.db, deps.registry, clock),
  }
  // /v1 is served as a native Bun route, outside Elysia's router and context: the proxy is the hot path. The Elysia
  // route below serves the same handler to `app.handle` (in-memory tests), where there is no Bun router.
  const v1 = (request: Request, server: Server<unknown>) => proxy(request, server)
  return new Elysia({ serve: { routes: { '/v1/*': v1 } } })
    .get('/v1/models', ({ request }) => {
      if (!deps.orgs.authenticate(request.headers.get('x-lectr-key'))) {
        return errorResponse(401, 'lectr_invalid_org_key', 'Missing or invalid X-Lectr-Key header.')
      }
      return new Response(JSON.stringify(modelsList(deps.registry.current())), { headers: { 'content-type': 'application/json' } })
    })
    .all('/v1/*', ({ request, server }) => proxy(request, server), { parse: 'none' })
    .use(adminRoutes(adminDeps))
    .use(metricsRoutes({ ...adminDeps, metricsToken: deps.config.metricsToken, render: deps.metrics }))
    .use(dashboardRoutes({ ...adminDeps, config: deps.config }))
    .onError(({ code, path }) => {
      if (code === 'NOT_FOUND') {
        return errorResponse(404, 'lectr_not_found', `No route ${path}.`)
      }
    })
}
