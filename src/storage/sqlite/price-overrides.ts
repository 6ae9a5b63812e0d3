import type { Database } from 'bun:sqlite'
import type { ProviderId } from '../../domain'
import type { PriceOverride } from '../../registry/overlay'
import type { Price } from '../../registry/schema'
import { OverridesMemory } from '../overrides-in-force'
import { overrideOfRow, storedPrice, type OverrideRow } from '../override-rows'
import type { PriceOverrideRepository } from '../settings'

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
    const rows = this.db.query('SELECT provider, model, price, created_at, updated_at FROM price_overrides ORDER BY provider, model').all() as OverrideRow[]
    return rows.flatMap((r) => overrideOfRow(r, this.log) ?? [])
  }

  async put(provider: ProviderId, model: string, price: Price): Promise<{ created: boolean; override: PriceOverride }> {
    const now = this.clock().toISOString()
    const created = this.db.transaction(() => {
      const before = this.db.query('SELECT 1 FROM price_overrides WHERE provider = ? AND model = ?').get(provider, model)
      this.db
        .query(
          `INSERT INTO price_overrides (provider, model, price, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (provider, model) DO UPDATE SET price = excluded.price, updated_at = excluded.updated_at`,
        )
        .run(provider, model, storedPrice(price), now, now)
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
