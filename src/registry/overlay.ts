import { createHash } from 'node:crypto'
import { catalogueProvider, overrideKey } from './lookup'
import type { ProviderId } from '../domain'
import type { ModelEntry, Price, Registry } from './schema'

/** One price an admin added for (provider, model). */
export interface PriceOverride {
  provider: ProviderId
  model: string
  price: Price
  /** ISO 8601 */
  createdAt: string
  /** ISO 8601 */
  updatedAt: string
}

/**
 * The registry as pricing sees it: `registry` with the admin's overrides over it. An override replaces the price of
 * the registry's entry for the same (provider, model), keeping its downgrade targets, or adds the model for pricing
 * only (detection and `/v1/models` read the registry's own list). Events priced with an override record
 * `<registry version>+overrides-<hash>`, where the hash (8 hex digits of SHA-256) names the exact set of overrides:
 * the same prices give the same version across restarts, any change gives another.
 *
 * @example
 * const priced = withOverrides(registry, [{ provider: 'groq', model: 'my-model', price: { input: 1, output: 2 }, ... }])
 * findModel(priced, 'groq', 'my-model')?.price // { input: 1, output: 2 }
 */
export function withOverrides(registry: Registry, overrides: readonly PriceOverride[]): Registry {
  if (overrides.length === 0) return registry
  const byKey = new Map<string, ModelEntry>()
  for (const o of overrides) {
    const listed = registry.models.get(o.model)
    const base = listed && listed.provider === catalogueProvider(o.provider) ? listed : null
    byKey.set(overrideKey(o.provider, o.model), base ? { ...base, price: o.price } : { id: o.model, provider: o.provider, price: o.price })
  }
  const version = `${registry.version}+overrides-${overridesHash(overrides)}`
  return Object.freeze({ ...registry, overrides: Object.freeze({ byKey, entries: new Set(byKey.values()), version }) })
}

/** The registry version to record for a request priced with `entry` (null: unpriced). */
export function versionFor(registry: Registry, entry: ModelEntry | null): string {
  return entry && registry.overrides?.entries.has(entry) ? registry.overrides.version : registry.version
}

function overridesHash(overrides: readonly PriceOverride[]): string {
  const canonical = overrides
    .map((o) => [o.provider, o.model, canonicalPrice(o.price)] as const)
    .sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1))
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 8)
}

/** A price's fields in a fixed order, so the hash does not depend on how the JSON was written. */
function canonicalPrice(p: Price): (number | null)[] {
  return [p.input, p.cachedInput ?? null, p.cacheWrite ?? null, p.cacheWrite1h ?? null, p.output]
}
