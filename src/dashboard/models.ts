import { Elysia } from 'elysia'
import { modelsPage, modelsTable } from '../../views/pages/models'
import type { ModelsData } from '../../views/types'
import { page, type Dashboard } from './context'
import { htmlResponse, isHtmx } from './http'
import { dirParam, providerParam, rangeParam, sortParam } from './params'
import { modelRows } from './queries'

/** GET /models?provider&range&sort&dir: the model table; htmx gets only `#models-table`. */
export function modelRoutes(d: Dashboard) {
  return new Elysia().get(
    '/models',
    page(d, (s) => {
      const q = s.url.searchParams
      const provider = providerParam(q)
      const range = rangeParam(q, '7d')
      const sort = sortParam(q)
      const data: ModelsData = {
        rows: modelRows(d.days, s.org, provider, range, d.deps.clock().getTime()),
        provider,
        range,
        sort,
        dir: dirParam(q, sort),
      }
      // The same URL answers with a page or a fragment: caches must keep them apart.
      const vary = { vary: 'HX-Request' }
      if (isHtmx(s.request)) return htmlResponse(modelsTable(data), 200, vary)
      return htmlResponse(modelsPage(s.frame('Models', 'models'), data), 200, vary)
    }),
  )
}
