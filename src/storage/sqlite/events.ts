import type { Database, Statement } from 'bun:sqlite'
import { openReadConnection } from '../../db/read-connection'
import type { LectrEvent } from '../../domain'
import { eventValues, type ColumnValue } from '../../events/columns'
import { EVENT_INSERT } from './event-columns'
import type { ArmRow, BrowseOptions, EventFilter, EventPage, EventStore, UnpricedModel } from '../events'
import { browseEvents } from './event-browse'
import { sqliteExportPages } from './event-export'
import { armsOf, getEvent, listEvents, pruneEventsGradually, unpricedModels } from './event-queries'
import { writeRollups } from '../../rollups/write-sqlite'

/**
 * An export reads on a connection of its own with this page cache (KiB), closed when it ends: on the server's
 * connection it filled the 64 MiB cache (a 200k-event export grew Lectr's RSS by 129-139 MB then, 55-72 MB without).
 */
const EXPORT_CACHE_KIB = 2048

export interface SqliteEventStoreOptions {
  /**
   * How long a background write waits for a database locked by another connection before giving up (the writer
   * retries later). SQLite waits synchronously, so this is how long the proxy can stall: keep it short. Once the
   * writer is closing, writes wait with the connection's own busy timeout (at least 1 s).
   */
  busyTimeoutMs?: number
}

/**
 * Errors caused by an event itself, not by the database, so that retrying cannot help: a value SQLite refuses
 * (constraint, type, size) or one that cannot be bound at all (no SQLite code). Every database condition (locked,
 * busy, read-only, full, I/O) has an SQLite code and is retried; so is a closed connection.
 */
export function isSqliteEventFault(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE'
  }
  return !/closed database/i.test(String((err as Error)?.message))
}

/**
 * The event log in SQLite. `append` answers synchronously (a number, never a Promise), so the writer never waits a
 * tick; the reads run synchronously inside their promise.
 */
export class SqliteEventStore implements EventStore {
  private readonly insertEvent: Statement
  /** the connection's own busy timeout, restored after each write */
  private readonly connectionBusyMs: number
  private busyMs: number
  // One array for every event's values: SQLite copies them when they are bound.
  private readonly values: ColumnValue[] = []

  constructor(
    private readonly db: Database,
    opts: SqliteEventStoreOptions = {},
  ) {
    this.connectionBusyMs = (db.query('PRAGMA busy_timeout').get() as { timeout: number } | null)?.timeout ?? 0
    this.busyMs = opts.busyTimeoutMs ?? 50
    this.insertEvent = db.prepare(`${EVENT_INSERT} ON CONFLICT (org_id, id) DO NOTHING`)
  }

  /** One transaction: the events, then the roll-ups of those actually inserted. Returns how many were inserted. */
  append(batch: readonly LectrEvent[]): number {
    const restore = this.busyMs !== this.connectionBusyMs
    if (restore) this.db.exec(`PRAGMA busy_timeout = ${this.busyMs}`)
    try {
      return this.db.transaction(() => {
        const inserted: LectrEvent[] = []
        for (const e of batch) {
          // Already in the log (the same id): its roll-ups were counted when it was inserted.
          if (this.insertEvent.run(eventValues(e, this.values)).changes > 0) inserted.push(e)
        }
        writeRollups(this.db, inserted)
        return inserted.length
      })()
    } finally {
      if (restore) this.db.exec(`PRAGMA busy_timeout = ${this.connectionBusyMs}`)
    }
  }

  isEventFault(err: unknown): boolean {
    return isSqliteEventFault(err)
  }

  closing(): void {
    this.busyMs = Math.max(this.connectionBusyMs, 1000)
  }

  async list(org: string, filter: EventFilter, page: { limit: number; cursor: string | null }): Promise<EventPage> {
    return listEvents(this.db, org, filter, page)
  }

  async browse(org: string, filter: EventFilter, cursor: string | null, opts: BrowseOptions): Promise<EventPage> {
    return browseEvents(this.db, org, filter, cursor, opts)
  }

  async get(org: string, id: string): Promise<LectrEvent | null> {
    return getEvent(this.db, org, id)
  }

  exportPages(org: string, filter: EventFilter): AsyncIterableIterator<LectrEvent[]> {
    const reader = openReadConnection(this.db, EXPORT_CACHE_KIB)
    return sqliteExportPages(reader.db, org, filter, { release: reader.close })
  }

  async arms(org: string, since: number | null, until: number | null): Promise<ArmRow[]> {
    return armsOf(this.db, org, since, until)
  }

  async unpricedModels(since: number, limit?: number): Promise<UnpricedModel[]> {
    return unpricedModels(this.db, since, limit)
  }

  prune(olderThan: number, opts?: { slice?: number; stopped?: () => boolean }): Promise<number> {
    return pruneEventsGradually(this.db, olderThan, opts)
  }
}
