import { Elysia } from 'elysia'
import { modelsPage, modelsTable } from '../../views/pages/models'
import type { ModelsData } from '../../views/types'
import { page, type Dashboard } from './context'
import { htmlResponse, isHtmx } from './http'
import { dirParam, providerParam, rangeParam, sortParam } from './params'
import { modelRows } from './queries'
import type { ModelRow } from '../storage/rollups'
import { detectProvider } from '../registry/detect'
import type { Registry } from '../registry/schema'

/**
 * Marks the rows whose provider Lectr could only guess: sent to OpenAI because the registry in force names no
 * provider for the model (no exact id, no prefix). The roll-ups keep no per-event detection, so this is read from
 * the registry now; a row forced to OpenAI with `X-Lectr-Provider` for an unlisted model is marked too.
 *
 * @example markUnknownProviders([{ model: 'my-model', provider: 'openai', ... }], registry)[0].providerUnknown // true
 */
export function markUnknownProviders(rows: ModelRow[], registry: Registry): ModelRow[] {
  return rows.map((r) => {
    const detected = detectProvider(registry, r.model || null, null)
    return { ...r, providerUnknown: r.provider === 'openai' && detected.ok && detected.providerUnknown }
  })
}

/** GET /models?provider&range&sort&dir: the model table; htmx gets only `#models-table`. */
export function modelRoutes(d: Dashboard) {
  return new Elysia().get(
    '/models',
    page(d, async (s) => {
      const q = s.url.searchParams
      const provider = providerParam(q)
      const range = rangeParam(q, '7d')
      const sort = sortParam(q)
      const data: ModelsData = {
        rows: markUnknownProviders(await modelRows(d.deps.storage.rollups, s.org, provider, range, d.deps.clock().getTime()), d.deps.registry.current()),
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
