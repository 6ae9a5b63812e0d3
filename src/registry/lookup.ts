import type { ProviderId } from '../domain'
import type { ModelEntry, Registry } from './schema'

const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/

/** Ids already taken apart (every answer names its model again); cleared when it outgrows `UNDATED_MAX`. */
const undated = new Map<string, string>()
const UNDATED_MAX = 4096

/** `gpt-4o-2024-08-06` -> `gpt-4o`; ids without a date suffix come back unchanged. */
export function withoutDateSuffix(id: string): string {
  let base = undated.get(id)
  if (base === undefined) {
    if (undated.size >= UNDATED_MAX) undated.clear()
    base = id.replace(DATE_SUFFIX, '')
    undated.set(id, base)
  }
  return base
}

/** Azure serves OpenAI's models, so it is priced and downgraded with OpenAI's entries. */
export function catalogueProvider(provider: ProviderId): ProviderId {
  return provider === 'azure' ? 'openai' : provider
}

/** The key of an admin's price override in `Registry.overrides.byKey`. */
export function overrideKey(provider: ProviderId, id: string): string {
  return `${provider}\u0000${id}`
}

/**
 * The registry entry for a model id as served by `provider`: exact id first, then the id without a date suffix.
 * Only an entry of that provider counts. At each step an admin's override (for `provider` itself, then for the
 * catalogue's provider: an Azure deployment can have its own) wins over the registry's entry.
 */
export function findModel(registry: Registry, provider: ProviderId, id: string | null | undefined): ModelEntry | null {
  if (!id) return null
  const owner = catalogueProvider(provider)
  const overridden = registry.overrides && overrideFor(registry.overrides.byKey, provider, owner, id)
  if (overridden) return overridden
  const exact = registry.models.get(id)
  if (exact) return exact.provider === owner ? exact : null
  const base = withoutDateSuffix(id)
  if (base === id) return null
  const undatedOverride = registry.overrides && overrideFor(registry.overrides.byKey, provider, owner, base)
  if (undatedOverride) return undatedOverride
  const undated = registry.models.get(base)
  return undated && undated.provider === owner ? undated : null
}

function overrideFor(byKey: ReadonlyMap<string, ModelEntry>, provider: ProviderId, owner: ProviderId, id: string): ModelEntry | null {
  return byKey.get(overrideKey(provider, id)) ?? (owner === provider ? null : byKey.get(overrideKey(owner, id)) ?? null)
}
