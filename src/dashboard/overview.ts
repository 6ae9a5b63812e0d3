import { Elysia } from 'elysia'
import { overviewPage } from '../../views/pages/overview'
import { page, type Dashboard } from './context'
import { htmlResponse } from './http'
import { rangeParam } from './params'
import { overview } from './queries'

/** GET /?range=24h|7d|30d: totals and the requests/cost chart. */
export function overviewRoutes(d: Dashboard) {
  return new Elysia().get(
    '/',
    page(d, async (s) => {
      const range = rangeParam(s.url.searchParams, '24h')
      return htmlResponse(overviewPage(s.frame('Overview', 'overview'), await overview(d.deps.storage.rollups, s.org, range, d.deps.clock().getTime())))
    }),
  )
}
