import type { SQL } from 'bun'
import type { ProviderId } from '../../domain'
import type { PriceOverride } from '../../registry/overlay'
import type { Price } from '../../registry/schema'
import { OverridesMemory } from '../overrides-in-force'
import { overrideOfRow, storedPrice, type OverrideRow } from '../override-rows'
import type { PriceOverrideRepository } from '../settings'
import { recordChange } from './changes'
import { SerialRefresh } from './serial-refresh'

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
      ORDER BY provider COLLATE "C", model COLLATE "C"`) as OverrideRow[]
    return rows.flatMap((r) => overrideOfRow(r, this.log) ?? [])
  }

  async put(provider: ProviderId, model: string, price: Price): Promise<{ created: boolean; override: PriceOverride }> {
    const now = this.clock().toISOString()
    const row = await this.sql.begin(async (tx) => {
      // xmax = 0: this statement inserted the row (rather than updated one), decided atomically under concurrency.
      const [r] = await tx`INSERT INTO price_overrides (provider, model, price, created_at, updated_at)
        VALUES (${provider}, ${model}, ${storedPrice(price)}, ${now}, ${now})
        ON CONFLICT (provider, model) DO UPDATE SET price = EXCLUDED.price, updated_at = EXCLUDED.updated_at
        RETURNING provider, model, price, created_at, updated_at, (xmax = 0) AS created`
      await recordChange(tx, 'price-overrides')
      return r as OverrideRow & { created: boolean }
    })
    await this.load()
    return { created: row.created, override: overrideOfRow(row, this.log)! }
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
