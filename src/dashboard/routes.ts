import { Elysia } from 'elysia'
import { assetRoutes } from './assets'
import { azureRoutes } from './azure'
import { createDashboard, type DashboardDeps } from './context'
import { eventRoutes } from './events'
import { keyRoutes } from './keys'
import { modelRoutes } from './models'
import { notFoundRoutes } from './not-found'
import { orgRoutes } from './orgs'
import { overviewRoutes } from './overview'
import { recommendationRoutes } from './recommendations'
import { registryRoutes } from './registry'
import { routingRoutes } from './routing'
import { signinRoutes } from './signin'

export type { DashboardDeps } from './context'

/**
 * The browser dashboard at `/`: server-rendered pages (views/) with htmx fragments, behind an admin-token
 * sign-in. One line per area; each area's routes live in their own file.
 *
 * @example new Elysia().use(dashboardRoutes({ ...adminDeps, config }))
 */
export function dashboardRoutes(deps: DashboardDeps) {
  const d = createDashboard(deps)
  return new Elysia()
    .use(assetRoutes())
    .use(signinRoutes(d))
    .use(orgRoutes(d))
    .use(overviewRoutes(d))
    .use(modelRoutes(d))
    .use(eventRoutes(d))
    .use(recommendationRoutes(d))
    .use(azureRoutes(d))
    .use(keyRoutes(d))
    .use(routingRoutes(d))
    .use(registryRoutes(d))
    .use(notFoundRoutes(d))
}
