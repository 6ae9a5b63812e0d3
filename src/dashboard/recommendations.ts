import { Elysia } from 'elysia'
import { recommend } from '../recommend/engine'
import { recommendationsPage } from '../../views/pages/recommendations'
import { page, type Dashboard } from './context'
import { htmlResponse } from './http'
import { usageGroups } from './queries'

const WINDOW_DAYS = 30
const DAY_MS = 86_400_000

/**
 * GET /recommendations: cheaper models for the last 30 days of traffic. The same engine, groups and window as
 * the admin API (`recommendationsFor`), with the groups summed from the day cache instead of 30 days of
 * hourly roll-up rows.
 */
export function recommendationRoutes(d: Dashboard) {
  return new Elysia().get(
    '/recommendations',
    page(d, (s) => {
      const until = d.deps.clock().getTime()
      const registry = d.deps.registry.current()
      const rows = recommend(usageGroups(d.days, s.org, until - WINDOW_DAYS * DAY_MS, until), registry, WINDOW_DAYS)
      return htmlResponse(
        recommendationsPage(s.frame('Recommendations', 'recommendations'), { rows, minRequests: registry.minRequests, windowDays: WINDOW_DAYS }),
      )
    }),
  )
}
