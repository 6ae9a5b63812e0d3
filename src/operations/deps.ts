import type { Database } from 'bun:sqlite'
import type { AdminTokenThrottle } from '../auth/throttle'
import type { EventLogHealth } from '../events/writer'
import type { OrgStore } from '../orgs/store'
import type { PriceOverrideStore } from '../registry/overrides'
import type { RegistryStore } from '../registry/store'
import type { RoutingStore } from '../routing/store'
import type { Storage } from '../storage'

/** What the admin API and the dashboard work with: the database and the stores, shared by both surfaces. */
export interface AdminDeps {
  db: Database
  orgs: OrgStore
  registry: RegistryStore
  adminTokenHash: () => string
  /** failed admin-token attempts per client address: shared by /api and the dashboard sign-in */
  tokenThrottle: AdminTokenThrottle
  version: string
  clock: () => Date
  allowPrivateUpstreams: boolean
  /** writes (at most a batch of) pending events so reads see them (the writer batches) */
  flushEvents: () => void
  /** the event log's queue and losses, for /api/health and the dashboard's banner; absent: not reported */
  eventLogHealth?: () => EventLogHealth
  /** the admin's price overrides, put over the registry in force */
  overrides: PriceOverrideStore
  /** each org's routing rules and their versions */
  routing: RoutingStore
  /** the stores behind interfaces (src/storage/) */
  storage: Storage
}
