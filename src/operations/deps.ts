import type { AdminTokenThrottle } from '../auth/throttle'
import type { EventLogHealth } from '../events/writer'
import type { RegistryStore } from '../registry/store'
import type { Storage } from '../storage'

/** What the admin API and the dashboard work with: the stores and the rest, shared by both surfaces. */
export interface AdminDeps {
  /** everything stored, by area: events, orgs, keys, Azure settings, sessions, the admin token, price overrides, routing versions */
  storage: Storage
  registry: RegistryStore
  adminTokenHash: () => string
  /** failed admin-token attempts per client address: shared by /api and the dashboard sign-in */
  tokenThrottle: AdminTokenThrottle
  version: string
  clock: () => Date
  allowPrivateUpstreams: boolean
  /**
   * Resolves once every event queued before the call is written, so a read that awaits it sees the requests already
   * answered (the writer writes on its next turn; the read writes nothing). At once while the event log fails, and
   * when it is off. See `EventWriter.whenWritten`.
   */
  eventsWritten: () => Promise<void>
  /** the event log's queue and losses, for /api/health and the dashboard's banner; absent: not reported */
  eventLogHealth?: () => EventLogHealth
}
