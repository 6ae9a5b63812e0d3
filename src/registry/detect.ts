import type { Detection } from '../domain'
import type { ProviderId } from '../domain'
import type { Registry } from './schema'

export type DetectResult =
  | { ok: true; provider: ProviderId; detection: Detection; providerUnknown: boolean }
  | { ok: false; message: string }

const FALLBACK = Object.freeze({ ok: true, provider: 'openai', detection: 'fallback', providerUnknown: true } as const)

/**
 * Which provider a request goes to (SPEC section 2), first match wins: the `X-Lectr-Provider` header
 * (case-insensitive), the model id listed exactly, the longest listed prefix, else OpenAI with
 * `providerUnknown`. Only a bad header fails; an unknown model never blocks a request.
 * Called on every request: map lookups and `startsWith` only.
 *
 * @example
 * detectProvider(registry, 'claude-sonnet-9-20990101', null)
 * // { ok: true, provider: 'anthropic', detection: 'prefix', providerUnknown: false }
 */
export function detectProvider(registry: Registry, model: string | null, headerValue: string | null): DetectResult {
  // An empty header is what some clients send for "not set"; treat it as absent rather than as a bad value.
  if (headerValue) {
    // registry.providers holds every provider of src/providers, whether or not the file names it.
    const named = registry.providers.get(headerValue as ProviderId) ?? registry.providers.get(headerValue.trim().toLowerCase() as ProviderId)
    if (!named) {
      return { ok: false, message: `X-Lectr-Provider ${quote(headerValue)} is not a provider; valid values: ${[...registry.providers.keys()].join(' ')}` }
    }
    return { ok: true, provider: named.id, detection: 'header', providerUnknown: false }
  }
  if (!model) return FALLBACK
  const listed = registry.models.get(model)
  if (listed) return { ok: true, provider: listed.provider, detection: 'exact', providerUnknown: false }
  for (const { prefix, provider } of registry.prefixes) {
    if (model.startsWith(prefix)) return { ok: true, provider, detection: 'prefix', providerUnknown: false }
  }
  return FALLBACK
}

/** The client's value goes back into an error message: keep it short and printable. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
}
