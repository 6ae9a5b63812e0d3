import type { Database } from 'bun:sqlite'
import type { SettingsStore } from '../settings'
import { SqliteAdminToken } from './admin-token'
import { SqlitePriceOverrides } from './price-overrides'
import { SqliteRouting } from './routing'
import { SqliteSessions } from './sessions'

/** Sessions, the admin token, price overrides and routing versions in the SQLite file. */
export class SqliteSettings implements SettingsStore {
  readonly sessions: SqliteSessions
  readonly adminToken: SqliteAdminToken
  readonly priceOverrides: SqlitePriceOverrides
  readonly routing: SqliteRouting

  constructor(db: Database, opts: { clock?: () => Date; log?: (line: string) => void } = {}) {
    this.sessions = new SqliteSessions(db)
    this.adminToken = new SqliteAdminToken(db)
    this.priceOverrides = new SqlitePriceOverrides(db, opts.clock, opts.log)
    this.routing = new SqliteRouting(db, opts.clock)
  }

  async refresh(): Promise<void> {
    this.priceOverrides.load()
    this.routing.load()
  }
}
