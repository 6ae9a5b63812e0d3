import { priceModel, costUsd } from '../registry/pricing'
import { versionFor } from '../registry/overlay'
import { scrubKeys } from './scrub-keys'
import type { Registry } from '../registry/schema'
import type { LectrEvent } from '../events/types'
import type { MeterResult, Usage } from '../usage/types'

/**
 * The cost of one request. Null only when pricing is unavailable: an unpriced model, or a successful answer whose
 * usage the provider never reported. A request that failed without reported usage consumed nothing: 0.
 * `registryVersion` says what priced it: the registry's version, or the overrides' (src/registry/overlay.ts).
 */
export function eventCost(
  registry: Registry,
  e: Pick<LectrEvent, 'provider' | 'model' | 'status' | 'endpoint'>,
  result: MeterResult | null,
): { costUsd: number | null; responseModel: string | null; registryVersion: string } {
  const responseModel = result?.responseModel || null
  // Counting tokens is free (SPEC section 8), priced model or not.
  if (e.endpoint === 'messages/count_tokens') return { costUsd: 0, responseModel, registryVersion: registry.version }
  const usage = result?.usage ?? null
  if (!usage) return { costUsd: e.status >= 400 ? 0 : null, responseModel, registryVersion: registry.version }
  const entry = priceModel(registry, e.provider, responseModel, e.model)
  const cost = entry?.price ? costUsd(entry.price, usage) : null
  return { costUsd: cost, responseModel, registryVersion: versionFor(registry, cost === null ? null : entry) }
}

/**
 * What a routed request's tokens would have cost at the model it asked for, with the provider detection chose
 * (SPEC section 9, `baselineCostUsd`). Null without usage or a price.
 */
export function baselineCost(registry: Registry, e: Pick<LectrEvent, 'provider' | 'model' | 'endpoint'>, usage: Usage | null): number | null {
  if (e.endpoint === 'messages/count_tokens') return 0
  if (!usage) return null
  const entry = priceModel(registry, e.provider, null, e.model)
  return entry?.price ? costUsd(entry.price, usage) : null
}

/**
 * The strings an upstream answer sent that an event stores (its model and error code), scrubbed of provider keys:
 * a provider may echo the client's key back in them (`scrubKeys`). `keys` gives the client's keys, read only when
 * there is something to scrub.
 *
 * @example upstreamLabels('gpt-4o-2024-08-06', 'sk-bad-AbCdEfGhIjKlMnOpQrStUv', () => []) // { responseModel: 'gpt-4o-2024-08-06', errorCode: '[redacted]' }
 */
export function upstreamLabels(
  responseModel: string | null,
  errorCode: string | null,
  keys: () => readonly string[],
): { responseModel: string | null; errorCode: string | null } {
  if (responseModel === null && errorCode === null) return { responseModel, errorCode }
  const own = keys()
  return { responseModel: scrubKeys(responseModel, own), errorCode: scrubKeys(errorCode, own) }
}
