import type { Database } from 'bun:sqlite'
import type { LectrEvent } from '../domain'
import { EVENT_COLUMNS, toEvent, type EventRow } from './columns'

export interface EventFilter {
  limit: number
  /** the id of the last event of the previous page */
  cursor: string | null
  provider: string | null
  model: string | null
  feature: string | null
  task: string | null
  status: number | null
  since: number | null
  until: number | null
}

export { EVENT_COLUMNS, toEvent, type EventRow } from './columns'

/** Events newest first (ids are UUIDv7, so id order is time order), one page at a time. */
export function listEvents(db: Database, org: string, f: EventFilter): { events: LectrEvent[]; next: string | null } {
  const where = ['org_id = ?']
  const args: (string | number)[] = [org]
  if (f.cursor) (where.push('id < ?'), args.push(f.cursor))
  if (f.provider) (where.push('provider = ?'), args.push(f.provider))
  if (f.model) (where.push('model = ?'), args.push(f.model))
  if (f.feature) (where.push('feature = ?'), args.push(f.feature))
  if (f.task) (where.push('task = ?'), args.push(f.task))
  if (f.status !== null) (where.push('status = ?'), args.push(f.status))
  if (f.since !== null) (where.push('time >= ?'), args.push(f.since))
  if (f.until !== null) (where.push('time < ?'), args.push(f.until))
  args.push(f.limit + 1)
  const rows = db.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(...args) as EventRow[]
  const page = rows.slice(0, f.limit).map(toEvent)
  return { events: page, next: rows.length > f.limit ? page[page.length - 1].id : null }
}

export function getEvent(db: Database, org: string, id: string): LectrEvent | null {
  const r = db.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE org_id = ? AND id = ?`).get(org, id) as EventRow | null
  return r ? toEvent(r) : null
}

// Event ids are UUIDv7, which start with their time: an id range finds old events without an index on time.
const PRUNE_SQL = 'DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE org_id = ? AND id < ? LIMIT ?)'
// Every org that has events, one index seek each (a loose index scan), not a pass over millions of rows.
const EVENT_ORGS_SQL = `WITH RECURSIVE o(org) AS (
  SELECT MIN(org_id) FROM events
  UNION ALL SELECT (SELECT MIN(org_id) FROM events WHERE org_id > o.org) FROM o WHERE o.org IS NOT NULL
) SELECT org FROM o WHERE org IS NOT NULL`

/** The smallest UUIDv7 of a millisecond: every event id of that time or later sorts at or above it. */
export function idFloorOf(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`
}


/**
 * Removes raw events older than `olderThan`, one slice per turn of the event loop, so that a large backlog (the
 * first start with a retention, 10 million old events) never blocks requests or the writer for long. Roll-ups stay.
 * The first slice runs before this returns its promise; `stopped` is asked before every further slice.
 */
export async function pruneEventsGradually(
  db: Database,
  olderThan: number,
  opts: { slice?: number; stopped?: () => boolean } = {},
): Promise<number> {
  const slice = opts.slice ?? 2000
  const stmt = db.query(PRUNE_SQL)
  let total = 0
  for (const { org } of db.query(EVENT_ORGS_SQL).all() as { org: string }[]) {
    for (;;) {
      const r = stmt.run(org, idFloorOf(olderThan), slice)
      total += r.changes
      if (r.changes < slice) break
      await new Promise((resolve) => setImmediate(resolve))
      if (opts.stopped?.()) return total
    }
  }
  return total
}
