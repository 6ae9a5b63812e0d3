import type { SQL } from 'bun'
import type { SettingsStore } from '../settings'
import { PostgresAdminToken } from './admin-token'
import { PostgresPriceOverrides } from './price-overrides'
import { PostgresRouting } from './routing'
import { PostgresSessions } from './sessions'

/**
 * Sessions, the admin token, price overrides and routing versions in Postgres, answering as SqliteSettings. The
 * in-memory views (`priceOverrides.inForce`, `routing.inForce`) are empty until the first `refresh()`, which the
 * caller awaits before serving; `watchChanges` (changes.ts) calls it again when another instance changed them.
 */
export class PostgresSettings implements SettingsStore {
  readonly sessions: PostgresSessions
  readonly adminToken: PostgresAdminToken
  readonly priceOverrides: PostgresPriceOverrides
  readonly routing: PostgresRouting

  constructor(sql: SQL, opts: { clock?: () => Date; log?: (line: string) => void } = {}) {
    this.sessions = new PostgresSessions(sql)
    this.adminToken = new PostgresAdminToken(sql)
    this.priceOverrides = new PostgresPriceOverrides(sql, opts.clock, opts.log)
    this.routing = new PostgresRouting(sql, opts.clock)
  }

  async refresh(): Promise<void> {
    await Promise.all([this.priceOverrides.load(), this.routing.load()])
  }
}
