// Placeholder (replaced at merge by the pgevents branch's PostgresEventStore): lets the wiring compile.
import type { SQL } from 'bun'
import type { LectrEvent } from '../../domain'
import type { BrowseOptions, EventFilter, EventPage, EventStore, UnpricedModel } from '../events'

const notBuilt = () => new Error('not built yet')

export class PostgresEventStore implements EventStore {
  constructor(_sql: SQL, _opts: object = {}) {}
  append(_batch: readonly LectrEvent[]): Promise<number> {
    throw notBuilt()
  }
  isEventFault(_err: unknown): boolean {
    throw notBuilt()
  }
  closing(): void {
    throw notBuilt()
  }
  list(_org: string, _filter: EventFilter, _page: { limit: number; cursor: string | null }): Promise<EventPage> {
    throw notBuilt()
  }
  browse(_org: string, _filter: EventFilter, _cursor: string | null, _opts: BrowseOptions): Promise<EventPage> {
    throw notBuilt()
  }
  get(_org: string, _id: string): Promise<LectrEvent | null> {
    throw notBuilt()
  }
  exportPages(_org: string, _filter: EventFilter): AsyncIterableIterator<LectrEvent[]> {
    throw notBuilt()
  }
  unpricedModels(_since: number, _limit?: number): Promise<UnpricedModel[]> {
    throw notBuilt()
  }
  prune(_olderThan: number, _opts?: { slice?: number; stopped?: () => boolean }): Promise<number> {
    throw notBuilt()
  }
}
