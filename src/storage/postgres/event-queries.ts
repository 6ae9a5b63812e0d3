import type { SQL } from 'bun'
import { DAY_MS, type LectrEvent } from '../../domain'
import { toEvent, type EventRow } from '../../events/columns'
import { idFloorOf } from '../../events/queries'
import { shownColumn, shownString } from '../../limits'
import { armRow, type ArmRow, type ArmSums, type EventFilter, type EventPage, type UnpricedModel } from '../events'
import { POSTGRES_EVENT_COLUMNS } from './event-columns'
import { filterConditions, Params } from './event-filter'
import { LOCK_NAMESPACE, PARTITION_LOCK } from './migrations'
import { eventPartitionDays, partitionName } from './partitions'

/** The events API's page: as SQLite's `listEvents`, newest first by id (ids are UUIDv7: id order is time order). */
export async function listEvents(sql: SQL, org: string, f: EventFilter, page: { limit: number; cursor: string | null }): Promise<EventPage> {
  const p = new Params()
  const where = [`org_id = ${p.add(org)}`]
  if (page.cursor) where.push(`id < ${p.add(page.cursor)}`)
  where.push(...filterConditions(f, p))
  const rows: EventRow[] = await sql.unsafe(
    `SELECT ${POSTGRES_EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${p.add(page.limit + 1)}`,
    p.values,
  )
  const events = rows.slice(0, page.limit).map(toEvent)
  return { events, next: rows.length > page.limit ? events[events.length - 1]!.id : null }
}

export async function getEvent(sql: SQL, org: string, id: string): Promise<LectrEvent | null> {
  const p = new Params()
  const rows: EventRow[] = await sql.unsafe(
    `SELECT ${POSTGRES_EVENT_COLUMNS} FROM events WHERE org_id = ${p.add(org)} AND id = ${p.add(id)} LIMIT 1`,
    p.values,
  )
  return rows[0] ? toEvent(rows[0]) : null
}

/** These events of an org, in the order of `ids` (one statement); an id no longer stored is left out. */
export async function getEvents(sql: SQL, org: string, ids: readonly string[]): Promise<LectrEvent[]> {
  if (ids.length === 0) return []
  const rows: EventRow[] = await sql.unsafe(
    `SELECT ${POSTGRES_EVENT_COLUMNS} FROM events WHERE org_id = $1 AND id = ANY($2::text[])`,
    [org, sql.array([...ids], 'TEXT')],
  )
  const byId = new Map(rows.map((r) => [r.id, r]))
  return ids.flatMap((id) => {
    const r = byId.get(id)
    return r ? [toEvent(r)] : []
  })
}

/**
 * As SQLite's `unpricedModels`: from the daily model roll-ups, from the UTC day `since` falls in. Names compare
 * byte by byte (COLLATE "C", as SQLite's BINARY), whatever the database's collation.
 */
export async function unpricedModels(sql: SQL, since: number, limit = 200): Promise<UnpricedModel[]> {
  const day = since - (((since % DAY_MS) + DAY_MS) % DAY_MS)
  const rows: UnpricedModel[] = await sql.unsafe(
    `SELECT provider, ${shownColumn('model')} AS model, SUM(unpriced_requests)::float8 AS "unpricedRequests",
       SUM(requests)::float8 AS requests
     FROM model_rollups_daily WHERE day >= $1 AND model != ''
     GROUP BY provider, model HAVING SUM(unpriced_requests) > 0
     ORDER BY 3 DESC, provider COLLATE "C", model COLLATE "C" LIMIT $2`,
    [day, limit],
  )
  // A name cut for showing cannot be priced by that name: left out.
  return rows.map((r) => ({ ...r })).filter((r) => shownString(r.model) === r.model)
}

/** Ids are minted a moment before an event's time is taken: events this far past the cutoff may have older ids. */
const SLACK_MS = 60_000

/**
 * Retention with SQLite's answer (every event whose id is older than the cutoff, see `pruneEventsGradually`), but
 * without deleting row by row: the partitions of whole days before the cutoff are dropped (counted first), then the
 * older events of the day(s) at the cutoff are deleted a slice at a time. `stopped` is asked between slices.
 * `onDropped(cutoff)` runs after partitions are dropped (the writer must create them again for a late event).
 */
export async function pruneEvents(
  sql: SQL,
  olderThan: number,
  opts: { slice?: number; stopped?: () => boolean; onDropped?: (cutoff: number) => void } = {},
): Promise<number> {
  const slice = opts.slice ?? 2000
  let total = 0
  let first = true
  const goOn = () => {
    const go = first || !opts.stopped?.()
    first = false
    return go
  }
  for (const day of await eventPartitionDays(sql)) {
    if (day + DAY_MS > olderThan) break
    if (!goOn()) return total
    total += await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${PARTITION_LOCK}::int)`
      // Still there (another instance may have dropped it meanwhile)? Names come from numbers, never from input.
      const [exists] = await tx`SELECT to_regclass(${partitionName(day)}) IS NOT NULL AS present`
      if (!exists.present) return 0
      const [counted] = await tx.unsafe(`SELECT COUNT(*)::float8 AS n FROM ${partitionName(day)}`)
      await tx.unsafe(`DROP TABLE ${partitionName(day)}`)
      return counted.n as number
    })
    opts.onDropped?.(olderThan)
  }
  const floor = idFloorOf(olderThan)
  // `time` bounds the partitions read (the cutoff's day, or two); per org, `id` walks the (org_id, id) index.
  const until = olderThan + SLACK_MS
  const orgs: { org: string }[] = await sql`
    WITH RECURSIVE o(org) AS (
      SELECT MIN(org_id) FROM events WHERE time < ${until}
      UNION ALL SELECT (SELECT MIN(org_id) FROM events WHERE time < ${until} AND org_id > o.org) FROM o WHERE o.org IS NOT NULL
    ) SELECT org FROM o WHERE org IS NOT NULL`
  for (const { org } of orgs) {
    for (;;) {
      if (!goOn()) return total
      const result = await sql`
        DELETE FROM events WHERE time < ${until} AND (org_id, id, time) IN (
          SELECT org_id, id, time FROM events WHERE org_id = ${org} AND id < ${floor} AND time < ${until} LIMIT ${slice})`
      total += result.count
      if (result.count < slice) break
    }
  }
  return total
}

/** As SQLite's `armsOf`: each rule's canary and control arms in a window, by rule id then arm (byte order). */
export async function armsOf(sql: SQL, org: string, since: number | null, until: number | null): Promise<ArmRow[]> {
  const rows: ArmSums[] = await sql.unsafe(
    `SELECT rule_id AS "ruleId", arm, COUNT(*)::float8 AS requests, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END)::float8 AS errors,
       AVG(latency_ms)::float8 AS "avgLatencyMs", AVG(output_tokens)::float8 AS "avgOutputTokens",
       COALESCE(SUM(cost_usd), 0)::float8 AS "costUsd", COALESCE(SUM(baseline_cost_usd), 0)::float8 AS "baselineCostUsd"
     FROM events WHERE org_id = $1 AND id >= $2 AND id < $3 AND rule_id IS NOT NULL AND arm IS NOT NULL
     GROUP BY rule_id, arm ORDER BY rule_id COLLATE "C", arm COLLATE "C"`,
    [org, idFloorOf(since ?? 0), until === null ? 'g' : idFloorOf(until)],
  )
  return rows.map(armRow)
}
