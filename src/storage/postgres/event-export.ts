import type { SQL } from 'bun'
import type { LectrEvent } from '../../domain'
import { toEvent, type EventRow } from '../../events/columns'
import { idFloorOf } from '../../events/queries'
import type { EventFilter } from '../events'
import { POSTGRES_EVENT_COLUMNS } from './event-columns'
import { matchExpression, Params } from './event-filter'

/** Rows read per step, as on SQLite (src/storage/sqlite/event-export.ts): bounds memory whatever the filters match. */
const SCAN_ROWS = 200
/** Ids are minted a moment before an event's time is taken. */
const SLACK_MS = 60_000

/**
 * An org's events matching `f`, newest first, a keyset page of `scanRows` rows per `next()` (the matches among them:
 * a page may be empty), as SQLite's `sqliteExportPages`: the same walk down the (org_id, id) index, so the same pages.
 * Each step is one statement on the pool; nothing is held between steps, so `return()` has nothing to release.
 */
export function postgresExportPages(sql: SQL, org: string, f: EventFilter, opts: { scanRows?: number } = {}): AsyncIterableIterator<LectrEvent[]> {
  const scanRows = opts.scanRows ?? SCAN_ROWS
  let below: string | null = f.until !== null ? idFloorOf(f.until + SLACK_MS) : null
  const floor = f.since !== null ? idFloorOf(Math.max(0, f.since - SLACK_MS)) : null
  let done = false

  const step = async (): Promise<LectrEvent[]> => {
    const p = new Params()
    const hit = matchExpression(f, p)
    const where = [`org_id = ${p.add(org)}`]
    if (below) where.push(`id < ${p.add(below)}`)
    if (floor) where.push(`id >= ${p.add(floor)}`)
    const rows: (EventRow & { hit: boolean | null })[] = await sql.unsafe(
      `SELECT ${POSTGRES_EVENT_COLUMNS}, ${hit} AS hit FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${p.add(scanRows)}`,
      p.values,
    )
    if (rows.length < scanRows) done = true
    if (rows.length > 0) below = rows[rows.length - 1]!.id
    const events: LectrEvent[] = []
    for (const r of rows) if (r.hit) events.push(toEvent(r))
    return events
  }

  const pages: AsyncIterableIterator<LectrEvent[]> = {
    async next(): Promise<IteratorResult<LectrEvent[]>> {
      if (done) return { done: true, value: undefined }
      try {
        return { done: false, value: await step() }
      } catch (err) {
        done = true
        throw err
      }
    },
    async return(): Promise<IteratorResult<LectrEvent[]>> {
      done = true
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]() {
      return pages
    },
  }
  return pages
}
