import type { Database } from 'bun:sqlite'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { LIMITS } from '../limits'
import { withOverrides, type PriceOverride } from './overlay'
import type { ProviderId } from '../domain'
import { PROVIDER_IDS, type Price } from './schema'
import type { RegistryStore } from './store'

/** Generous, but finite: `1e400` in JSON reads as Infinity, and a typo of a few zeros should not price a request at $1000s. */
const UsdPerMillion = Type.Number({ minimum: 0, maximum: 100_000, description: 'USD per 1M tokens' })

/** The registry's price shape (src/registry/schema.ts) without tiers: what an admin adds for one model. */
export const OverridePrice = Type.Object(
  {
    input: UsdPerMillion,
    cachedInput: Type.Optional(UsdPerMillion),
    cacheWrite: Type.Optional(UsdPerMillion),
    cacheWrite1h: Type.Optional(UsdPerMillion),
    output: UsdPerMillion,
  },
  { additionalProperties: false },
)

/** `PUT /api/registry/overrides/:provider/:model` */
export const OverrideBody = Type.Object({ price: OverridePrice }, { additionalProperties: false })

const PROVIDER_SET: ReadonlySet<string> = new Set(PROVIDER_IDS)
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Every problem of an override, as `where: what` lines: the provider and model of the URL, then the body.
 * @example overrideProblems('groq', 'm', { price: { input: -1 } }) // ['/price/input: Expected number to be greater or equal to 0', '/price/output: Expected required property', ...]
 */
export function overrideProblems(provider: string, model: string, body: unknown): string[] {
  const problems: string[] = []
  if (!PROVIDER_SET.has(provider)) problems.push(`provider: expected one of ${PROVIDER_IDS.join(' ')}, got ${JSON.stringify(provider.slice(0, 40))}`)
  if (model.length === 0 || model.length > LIMITS.model) problems.push(`model: expected 1 to ${LIMITS.model} characters`)
  else if (CONTROL.test(model)) problems.push('model: must not contain control characters')
  for (const e of Value.Errors(OverrideBody, body)) problems.push(`${e.path || '/'}: ${e.message}`)
  return problems
}

interface Row {
  provider: string
  model: string
  price: string
  created_at: string
  updated_at: string
}

/**
 * The admin's price overrides (SPEC section 12), in the database; every change is put over the registry in force at
 * once (`RegistryStore.setOverlay`), so the next request is priced with it.
 *
 * @example
 * const overrides = new PriceOverrideStore(db, registry)
 * overrides.put('groq', 'openai/gpt-oss-120b', { input: 0.15, output: 0.75 })
 */
export class PriceOverrideStore {
  constructor(
    private readonly db: Database,
    private readonly registry: RegistryStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.apply()
  }

  /** Every override, by provider then model. */
  list(): PriceOverride[] {
    const rows = this.db.query('SELECT provider, model, price, created_at, updated_at FROM price_overrides ORDER BY provider, model').all() as Row[]
    return rows.flatMap((r) => {
      const price = parsePrice(r.price)
      if (!PROVIDER_SET.has(r.provider) || !price) {
        // Only a hand-edited database gets here: that row is left out rather than pricing with nonsense.
        this.log(`lectr: price override ${JSON.stringify(r.provider)}/${JSON.stringify(r.model.slice(0, 64))} in the database is invalid; ignored`)
        return []
      }
      return [{ provider: r.provider as ProviderId, model: r.model, price, createdAt: r.created_at, updatedAt: r.updated_at }]
    })
  }

  /** Adds or replaces the price of (provider, model); `created` is false when it replaced one. The price must be valid. */
  put(provider: ProviderId, model: string, price: Price): { created: boolean; override: PriceOverride } {
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
    this.apply()
    const override = this.list().find((o) => o.provider === provider && o.model === model)!
    return { created, override }
  }

  /** Removes the override of (provider, model); false when there was none. */
  remove(provider: string, model: string): boolean {
    const removed = this.db.query('DELETE FROM price_overrides WHERE provider = ? AND model = ?').run(provider, model).changes > 0
    if (removed) this.apply()
    return removed
  }

  private apply(): void {
    const overrides = this.list()
    this.registry.setOverlay((registry) => withOverrides(registry, overrides))
  }
}

function parsePrice(text: string): Price | null {
  try {
    const value: unknown = JSON.parse(text)
    return Value.Check(OverridePrice, value) ? (value as Price) : null
  } catch {
    return null
  }
}
