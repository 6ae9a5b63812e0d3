import { priceModel, costUsd } from '../registry/pricing'
import type { Registry } from '../registry/schema'
import type { LectrEvent } from '../events/types'
import type { MeterResult } from '../usage/types'

/**
 * The cost of one request. Null only when pricing is unavailable: an unpriced model, or a successful answer whose
 * usage the provider never reported. A request that failed without reported usage consumed nothing: 0.
 */
export function eventCost(
  registry: Registry,
  e: Pick<LectrEvent, 'provider' | 'model' | 'status' | 'endpoint'>,
  result: MeterResult | null,
): { costUsd: number | null; responseModel: string | null } {
  const responseModel = result?.responseModel || null
  // Counting tokens is free (SPEC section 8), priced model or not.
  if (e.endpoint === 'messages/count_tokens') return { costUsd: 0, responseModel }
  const usage = result?.usage ?? null
  if (!usage) return { costUsd: e.status >= 400 ? 0 : null, responseModel }
  const entry = priceModel(registry, e.provider, responseModel, e.model)
  return { costUsd: entry?.price ? costUsd(entry.price, usage) : null, responseModel }
}
