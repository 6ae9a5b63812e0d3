import type { SQL } from 'bun'
import type { ProviderId } from '../../domain'
import type { PriceOverride } from '../../registry/overlay'
import { isProviderId, parseOverridePrice } from '../../registry/overrides'
import type { Price } from '../../registry/schema'
import { OverridesMemory } from '../overrides-in-force'
import type { PriceOverrideRepository } from '../settings'
import { recordChange } from './changes'
import { SerialRefresh } from './serial-refresh'

interface Row {
  provider: string
  model: string
  price: string
  created_at: string
  updated_at: string
}

/** The admin's price overrides in `price_overrides`, as SqlitePriceOverrides; every change is put in force at once. */
export class PostgresPriceOverrides implements PriceOverrideRepository {
  readonly inForce = new OverridesMemory()
  private readonly reload: SerialRefresh

  constructor(
    private readonly sql: SQL,
    private readonly clock: () => Date = () => new Date(),
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.reload = new SerialRefresh(async () => {
      const overrides = await this.list()
      return () => this.inForce.replace(overrides)
    })
  }

  /** Reads them all again into `inForce`. */
  load(): Promise<void> {
    return this.reload.run()
  }

  async list(): Promise<PriceOverride[]> {
    // COLLATE "C": byte order, as SQLite sorts text (the database's own collation could put models otherwise).
    const rows = (await this.sql`SELECT provider, model, price, created_at, updated_at FROM price_overrides
      ORDER BY provider COLLATE "C", model COLLATE "C"`) as Row[]
    return rows.flatMap((r) => {
      const override = this.toOverride(r)
      return override ? [override] : []
    })
  }

  private toOverride(r: Row): PriceOverride | null {
    const price = parseOverridePrice(r.price)
    if (!isProviderId(r.provider) || !price) {
      // Only a hand-edited database gets here: that row is left out rather than pricing with nonsense.
      this.log(`lectr: price override ${JSON.stringify(r.provider)}/${JSON.stringify(r.model.slice(0, 64))} in the database is invalid; ignored`)
      return null
    }
    return { provider: r.provider, model: r.model, price, createdAt: r.created_at, updatedAt: r.updated_at }
  }

  async put(provider: ProviderId, model: string, price: Price): Promise<{ created: boolean; override: PriceOverride }> {
    const now = this.clock().toISOString()
    const stored: Price = { input: price.input, output: price.output }
    if (price.cachedInput !== undefined) stored.cachedInput = price.cachedInput
    if (price.cacheWrite !== undefined) stored.cacheWrite = price.cacheWrite
    if (price.cacheWrite1h !== undefined) stored.cacheWrite1h = price.cacheWrite1h
    const row = await this.sql.begin(async (tx) => {
      // xmax = 0: this statement inserted the row (rather than updated one), decided atomically under concurrency.
      const [r] = await tx`INSERT INTO price_overrides (provider, model, price, created_at, updated_at)
        VALUES (${provider}, ${model}, ${JSON.stringify(stored)}, ${now}, ${now})
        ON CONFLICT (provider, model) DO UPDATE SET price = EXCLUDED.price, updated_at = EXCLUDED.updated_at
        RETURNING provider, model, price, created_at, updated_at, (xmax = 0) AS created`
      await recordChange(tx, 'price-overrides')
      return r as Row & { created: boolean }
    })
    await this.load()
    return { created: row.created, override: this.toOverride(row)! }
  }

  async remove(provider: string, model: string): Promise<boolean> {
    const removed = await this.sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM price_overrides WHERE provider = ${provider} AND model = ${model} RETURNING provider`
      if (rows.length > 0) await recordChange(tx, 'price-overrides')
      return rows.length > 0
    })
    if (removed) await this.load()
    return removed
  }
}
