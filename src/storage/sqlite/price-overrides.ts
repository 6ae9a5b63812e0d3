import type { Database } from 'bun:sqlite'
import type { ProviderId } from '../../domain'
import type { PriceOverride } from '../../registry/overlay'
import { isProviderId, parseOverridePrice } from '../../registry/overrides'
import type { Price } from '../../registry/schema'
import { OverridesMemory } from '../overrides-in-force'
import type { PriceOverrideRepository } from '../settings'

interface Row {
  provider: string
  model: string
  price: string
  created_at: string
  updated_at: string
}

/** The admin's price overrides in `price_overrides`; every change is put in force (`inForce`) at once. */
export class SqlitePriceOverrides implements PriceOverrideRepository {
  readonly inForce = new OverridesMemory()

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.load()
  }

  /** Reads them all again into `inForce`. */
  load(): void {
    this.inForce.replace(this.listNow())
  }

  async list(): Promise<PriceOverride[]> {
    return this.listNow()
  }

  private listNow(): PriceOverride[] {
    const rows = this.db.query('SELECT provider, model, price, created_at, updated_at FROM price_overrides ORDER BY provider, model').all() as Row[]
    return rows.flatMap((r) => {
      const price = parseOverridePrice(r.price)
      if (!isProviderId(r.provider) || !price) {
        // Only a hand-edited database gets here: that row is left out rather than pricing with nonsense.
        this.log(`lectr: price override ${JSON.stringify(r.provider)}/${JSON.stringify(r.model.slice(0, 64))} in the database is invalid; ignored`)
        return []
      }
      return [{ provider: r.provider, model: r.model, price, createdAt: r.created_at, updatedAt: r.updated_at }]
    })
  }

  async put(provider: ProviderId, model: string, price: Price): Promise<{ created: boolean; override: PriceOverride }> {
    const now = this.clock().toISOString()
    const stored: Price = { input: price.input, output: price.output }
    if (price.cachedInput !== undefined) stored.cachedInput = price.cachedInput
    if (price.cacheWrite !== undefined) stored.cacheWrite = price.cacheWrite
    if (price.cacheWrite1h !== undefined) stored.cacheWrite1h = price.cacheWrite1h
    const created = this.db.transaction(() => {
      const before = this.db.query('SELECT 1 FROM price_overrides WHERE provider = ? AND model = ?').get(provider, model)
      this.db
        .query(
          `INSERT INTO price_overrides (provider, model, price, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (provider, model) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at`,
        )
        .run(provider, model, JSON.stringify(stored), now, now)
      return before === null
    })()
    this.load()
    const override = this.inForce.current().find((o) => o.provider === provider && o.model === model)!
    return { created, override }
  }

  async remove(provider: string, model: string): Promise<boolean> {
    const removed = this.db.query('DELETE FROM price_overrides WHERE provider = ? AND model = ?').run(provider, model).changes > 0
    if (removed) this.load()
    return removed
  }
}
