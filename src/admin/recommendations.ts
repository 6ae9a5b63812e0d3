import type { Elysia } from 'elysia'
import { usageGroups } from '../events/queries'
import { recommend } from '../recommend/engine'
import type { AdminDeps } from '../operations/deps'
import { apiError, json } from '../http/respond'
import { parseTimeRange } from '../operations/time-range'

const DEFAULT_WINDOW_DAYS = 30
const DAY_MS = 86_400_000

/** Recommendations for an org's traffic in a window (default: the last 30 days). */
export function recommendationsFor(deps: AdminDeps, org: string, since: number, until: number) {
  deps.flushEvents()
  const groups = usageGroups(deps.db, org, since, until)
  const windowDays = Math.max((until - since) / DAY_MS, 1 / 24)
  return recommend(groups, deps.registry.current(), windowDays)
}

export const recommendationRoutes = (deps: AdminDeps) => (app: Elysia<'/api'>) =>
  app.get('/orgs/:org/recommendations', ({ params, query }) => {
    if (!deps.orgs.get(params.org)) return apiError(404, 'lectr_not_found', `No org "${params.org}".`)
    const range = parseTimeRange(query as Record<string, string | undefined>, deps.clock(), DEFAULT_WINDOW_DAYS)
    if (!range.ok) return apiError(400, 'lectr_invalid_query', 'The query has problems.', range.problems)
    const until = range.until ?? deps.clock().getTime()
    return json({ recommendations: recommendationsFor(deps, params.org, range.since!, until) })
  })
