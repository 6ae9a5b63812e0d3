import type { Database } from 'bun:sqlite'
import { DAY_MS, type LectrEvent } from '../../domain'
import { toEvent, type EventRow } from '../../events/columns'
import { EVENT_COLUMNS } from './event-columns'
import { idFloorOf } from '../../events/queries'
import { shownColumn, shownString } from '../../limits'
import { armRow, type ArmRow, type ArmSums, type EventFilter, type EventPage, type UnpricedModel } from '../events'

/** Events newest first (ids are UUIDv7, so id order is time order), one page at a time. */
export function listEvents(db: Database, org: string, f: EventFilter, p: { limit: number; cursor: string | null }): EventPage {
  const where = ['org_id = ?']
  const args: (string | number)[] = [org]
  if (p.cursor) (where.push('id < ?'), args.push(p.cursor))
  if (f.provider) (where.push('provider = ?'), args.push(f.provider))
  if (f.model) (where.push('model = ?'), args.push(f.model))
  if (f.feature) (where.push('feature = ?'), args.push(f.feature))
  if (f.task) (where.push('task = ?'), args.push(f.task))
  if (f.status !== null) (where.push('status = ?'), args.push(f.status))
  if (f.statusClass === 'ok') where.push('status < 400')
  if (f.statusClass === 'error') where.push('status >= 400')
  if (f.since !== null) (where.push('time >= ?'), args.push(f.since))
  if (f.until !== null) (where.push('time < ?'), args.push(f.until))
  args.push(p.limit + 1)
  const rows = db.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(...args) as EventRow[]
  const page = rows.slice(0, p.limit).map(toEvent)
  return { events: page, next: rows.length > p.limit ? page[page.length - 1]!.id : null }
}

export function getEvent(db: Database, org: string, id: string): LectrEvent | null {
  const r = db.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE org_id = ? AND id = ?`).get(org, id) as EventRow | null
  return r ? toEvent(r) : null
}

/**
 * The models seen without a price since `since`, across every org (prices are global), most unpriced requests first.
 * Read from the daily model roll-ups (today's row included: the writer adds to it with every batch), so the window
 * starts at the UTC day `since` falls in.
 *
 * @example unpricedModels(db, Date.now() - 30 * 86_400_000)[0] // { provider: 'groq', model: 'openai/gpt-oss-120b', unpricedRequests: 412, requests: 412 }
 */
export function unpricedModels(db: Database, since: number, limit = 200): UnpricedModel[] {
  const day = since - (((since % DAY_MS) + DAY_MS) % DAY_MS)
  const rows = db
    .query(
      `SELECT provider, ${shownColumn('model')} AS model, SUM(unpriced_requests) AS unpricedRequests, SUM(requests) AS requests
       FROM model_rollups_daily WHERE day >= ? AND model != ''
       GROUP BY provider, model HAVING SUM(unpriced_requests) > 0
       ORDER BY unpricedRequests DESC, provider, model LIMIT ?`,
    )
    .all(day, limit) as UnpricedModel[]
  // A name cut for showing (a legacy row over the length limit) cannot be priced by that name: left out.
  return rows.filter((r) => shownString(r.model) === r.model)
}

// Event ids are UUIDv7, which start with their time: an id range finds old events without an index on time.
const PRUNE_SQL = 'DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE org_id = ? AND id < ? LIMIT ?)'
// Every org that has events, one index seek each (a loose index scan), not a pass over millions of rows.
const EVENT_ORGS_SQL = `WITH RECURSIVE o(org) AS (
  SELECT MIN(org_id) FROM events
  UNION ALL SELECT (SELECT MIN(org_id) FROM events WHERE org_id > o.org) FROM o WHERE o.org IS NOT NULL
) SELECT org FROM o WHERE org IS NOT NULL`

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

/** Each rule's canary and control arms in a window (null ends: unbounded), by rule id then arm. */
export function armsOf(db: Database, org: string, since: number | null, until: number | null): ArmRow[] {
  // Ids are UUIDv7: the (org_id, id) index bounds the window, no index on time needed.
  const rows = db
    .query(
      `SELECT rule_id AS ruleId, arm, COUNT(*) AS requests, SUM(status >= 400) AS errors, AVG(latency_ms) AS avgLatencyMs,
              AVG(output_tokens) AS avgOutputTokens, TOTAL(cost_usd) AS costUsd, TOTAL(baseline_cost_usd) AS baselineCostUsd
       FROM events WHERE org_id = ? AND id >= ? AND id < ? AND rule_id IS NOT NULL AND arm IS NOT NULL
       GROUP BY rule_id, arm ORDER BY rule_id, arm`,
    )
    .all(org, idFloorOf(since ?? 0), until === null ? 'g' : idFloorOf(until)) as ArmSums[]
  return rows.map(armRow)
}
