// Placeholder (replaced at merge by the pgsettings branch's PostgresSettings): lets the wiring compile.
import type { SQL } from 'bun'
import type { AdminTokenRepository, PriceOverrideRepository, RoutingRepository, SessionRepository, SettingsStore } from '../settings'

const notBuilt = () => new Error('not built yet')

export class PostgresSettings implements SettingsStore {
  constructor(_sql: SQL, _opts: object = {}) {}
  get sessions(): SessionRepository {
    throw notBuilt()
  }
  get adminToken(): AdminTokenRepository {
    throw notBuilt()
  }
  get priceOverrides(): PriceOverrideRepository {
    throw notBuilt()
  }
  get routing(): RoutingRepository {
    throw notBuilt()
  }
  refresh(): Promise<void> {
    throw notBuilt()
  }
}
