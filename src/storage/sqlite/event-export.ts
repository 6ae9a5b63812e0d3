import type { Database } from 'bun:sqlite'
import type { LectrEvent } from '../../domain'
import { toEvent, type EventRow } from '../../events/columns'
import { EVENT_COLUMNS } from './event-columns'
import type { EventFilter } from '../events'
import { idFloorOf } from '../../events/queries'

/**
 * Rows read per step: bounds the memory and the time one step holds the event loop, whatever the filters match.
 * (1000 before: Lectr's peak RSS during a 200k-event export grew 55-72 MB with it, 33-48 MB with 200; `make bench-export`.)
 */
const SCAN_ROWS = 200
/** Ids are minted a moment before an event's time is taken; a minute of slack covers that and small clock steps. */
const SLACK_MS = 60_000

/** The filters as an SQL expression that is 1 for a matching row (so a step reads a fixed number of rows). */
function matchExpression(f: EventFilter): { sql: string; args: (string | number)[] } {
  const sql: string[] = []
  const args: (string | number)[] = []
  for (const column of ['provider', 'model', 'feature', 'task'] as const) {
    if (f[column]) (sql.push(`${column} = ?`), args.push(f[column]!))
  }
  if (f.status !== null) (sql.push('status = ?'), args.push(f.status))
  if (f.statusClass === 'ok') sql.push('status < 400')
  if (f.statusClass === 'error') sql.push('status >= 400')
  if (f.since !== null) (sql.push('time >= ?'), args.push(f.since))
  if (f.until !== null) (sql.push('time < ?'), args.push(f.until))
  return { sql: sql.length ? `(${sql.join(' AND ')})` : '1', args }
}

/**
 * An org's events matching `f`, newest first (the events API's order), read on `db` a step of `scanRows` rows per
 * `next()` (the matches among them: a page may be empty). Reads only, no transaction: the writer keeps writing;
 * events that arrive during the export are not in it (it walks down from the start). `release` runs once: when the
 * pages are done, at `return()`, or when a read fails.
 */
export function sqliteExportPages(
  db: Database,
  org: string,
  f: EventFilter,
  opts: { scanRows?: number; onStep?: () => void; release?: () => void } = {},
): AsyncIterableIterator<LectrEvent[]> {
  const scanRows = opts.scanRows ?? SCAN_ROWS
  const match = matchExpression(f)
  // Ids are UUIDv7: the time range bounds the walk along the (org_id, id) index; `time` decides exactly.
  let below: string | null = f.until !== null ? idFloorOf(f.until + SLACK_MS) : null
  const floor = f.since !== null ? idFloorOf(Math.max(0, f.since - SLACK_MS)) : null
  let done = false
  let released = false
  const release = () => {
    done = true
    if (!released) (released = true), opts.release?.()
  }

  const step = (): LectrEvent[] => {
    opts.onStep?.()
    const rows = db
      .query(
        `SELECT ${EVENT_COLUMNS}, ${match.sql} AS hit FROM events
         WHERE org_id = ? ${below ? 'AND id < ?' : ''} ${floor ? 'AND id >= ?' : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...match.args, org, ...(below ? [below] : []), ...(floor ? [floor] : []), scanRows) as (EventRow & { hit: number })[]
    if (rows.length < scanRows) done = true
    if (rows.length > 0) below = rows[rows.length - 1]!.id
    const events: LectrEvent[] = []
    for (const r of rows) if (r.hit) events.push(toEvent(r))
    return events
  }

  const pages: AsyncIterableIterator<LectrEvent[]> = {
    async next(): Promise<IteratorResult<LectrEvent[]>> {
      if (done) {
        release()
        return { done: true, value: undefined }
      }
      try {
        return { done: false, value: step() }
      } catch (err) {
        release()
        throw err
      }
    },
    async return(): Promise<IteratorResult<LectrEvent[]>> {
      release()
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]() {
      return pages
    },
  }
  return pages
}
