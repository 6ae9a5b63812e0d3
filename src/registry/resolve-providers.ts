import type { Provider } from '../providers/types'
import type { ProviderId } from '../domain'
import type { ProviderEntry, ResolvedProvider } from './schema'

/**
 * Every provider of `list`, in its order, with a registry file's entries over the modules' defaults: an entry's
 * `baseUrl` and `prefixes` replace the module's when given. A prefix the file gives to one provider is taken out
 * of every other provider's defaults, so a file may move a prefix without naming the provider it came from.
 * Azure has no base URL of its own (its endpoint is per org).
 *
 * @example resolveProviders(PROVIDER_LIST, [{ id: 'groq', baseUrl: 'https://egress.example/groq/v1' }])[2].baseUrl // 'https://egress.example/groq/v1'
 */
export function resolveProviders(list: readonly Provider<string>[], entries: readonly ProviderEntry[] = []): ResolvedProvider[] {
  const byId = new Map<string, ProviderEntry>(entries.map((e) => [e.id, e]))
  const claimed = new Set(entries.flatMap((e) => e.prefixes ?? []))
  return list.map((p) => {
    const entry = byId.get(p.id)
    const prefixes = entry?.prefixes ?? p.prefixes.filter((prefix) => !claimed.has(prefix))
    const baseUrl = entry?.baseUrl ?? p.baseUrl ?? undefined
    return Object.freeze({ id: p.id as ProviderId, ...(baseUrl === undefined ? {} : { baseUrl }), prefixes: Object.freeze([...prefixes]) })
  })
}

/** Every (prefix, provider), longest prefix first, so that detection can stop at the first match. */
export function prefixTable(providers: readonly ResolvedProvider[]): ReadonlyArray<{ prefix: string; provider: ProviderId }> {
  return (
    providers
      .flatMap((provider) => provider.prefixes.map((prefix) => ({ prefix, provider: provider.id })))
      // Ties cannot collide: duplicates in a file are rejected, and defaults a file claims are dropped.
      .sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1))
  )
}
