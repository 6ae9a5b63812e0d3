/**
 * A price override as both stores keep it in `price_overrides` (the price as JSON text), and back. Pure; the SQL is
 * each store's.
 */
import type { PriceOverride } from '../registry/overlay'
import { isProviderId, parseOverridePrice } from '../registry/overrides'
import type { Price } from '../registry/schema'

export interface OverrideRow {
  provider: string
  model: string
  price: string
  created_at: string
  updated_at: string
}

/** The price as stored: its fields in one order, the optional ones only when given. */
export function storedPrice(price: Price): string {
  const stored: Price = { input: price.input, output: price.output }
  if (price.cachedInput !== undefined) stored.cachedInput = price.cachedInput
  if (price.cacheWrite !== undefined) stored.cacheWrite = price.cacheWrite
  if (price.cacheWrite1h !== undefined) stored.cacheWrite1h = price.cacheWrite1h
  return JSON.stringify(stored)
}

/** The override of a row, or null (and a log line) for a row that is not one. */
export function overrideOfRow(r: OverrideRow, log: (line: string) => void): PriceOverride | null {
  const price = parseOverridePrice(r.price)
  if (!isProviderId(r.provider) || !price) {
    // Only a hand-edited database gets here: that row is left out rather than pricing with nonsense.
    log(`lectr: price override ${JSON.stringify(r.provider)}/${JSON.stringify(r.model.slice(0, 64))} in the database is invalid; ignored`)
    return null
  }
  return { provider: r.provider, model: r.model, price, createdAt: r.created_at, updatedAt: r.updated_at }
}
