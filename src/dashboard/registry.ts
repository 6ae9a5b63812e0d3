import { Elysia } from 'elysia'
import { registryPage } from '../../views/pages/registry'
import { action, page, type Dashboard } from './context'
import { htmlResponse, redirect } from './http'
import type { Config } from '../config'
import type { ProviderEntry } from '../registry/schema'
import type { ProviderInForce } from '../../views/types'

/** The environment variable behind each `baseUrls` setting, named on the page when it overrides the registry. */
const OVERRIDE_ENV: Record<string, string> = {
  openai: 'LECTR_OPENAI_BASE_URL',
  anthropic: 'LECTR_ANTHROPIC_BASE_URL',
  groq: 'LECTR_GROQ_BASE_URL',
  gemini: 'LECTR_GEMINI_BASE_URL',
}

/**
 * Each provider with the base URL Lectr sends to: the override setting when one is set, else the registry's. Azure's
 * endpoint is the org's own (Settings → Azure), so it has none here.
 * @example providersInForce(registry.file.providers, { ...baseUrls, openai: 'http://egress:3128/v1' })[0].overriddenBy // 'LECTR_OPENAI_BASE_URL'
 */
export function providersInForce(providers: readonly ProviderEntry[], baseUrls: Config['baseUrls']): ProviderInForce[] {
  return providers.map((p) => {
    const override = (baseUrls as Record<string, string | null>)[p.id] ?? null
    const env = override ? OVERRIDE_ENV[p.id] ?? null : null
    return { id: p.id, baseUrl: p.id === 'azure' ? null : (override ?? p.baseUrl ?? null), overriddenBy: env, prefixes: [...p.prefixes] }
  })
}

/** GET /registry (source, version, last reload, errors, models) and POST /registry/reload. */
export function registryRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/registry',
      page(d, (s) => {
        const json = d.deps.registry.toJSON()
        const done = s.url.searchParams.get('done')
        const notice =
          done === 'reloaded'
            ? json.status.url
              ? 'Registry URL checked: the registry in force is the one it serves.'
              : json.status.source === 'builtin'
              ? 'Lectr uses its built-in registry: there is no file to reload. Start it with --registry FILE to use your own.'
              : 'Registry reloaded.'
            : null
        return htmlResponse(
          registryPage(s.frame('Registry', 'registry'), {
            status: { ...json.status, source: json.status.source === 'builtin' ? 'built-in' : json.status.source },
            providers: providersInForce(d.deps.registry.current().file.providers, d.deps.config.baseUrls),
            models: d.deps.registry.current().file.models,
            notice,
            now: d.deps.clock().toISOString(),
          }),
        )
      }),
    )
    .post(
      '/registry/reload',
      action(d, async () => redirect((await d.deps.registry.refresh()).ok ? '/registry?done=reloaded' : '/registry?done=failed')),
      { parse: 'none' },
    )
}
