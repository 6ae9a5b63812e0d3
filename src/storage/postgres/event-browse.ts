import type { SQL } from 'bun'
import { browseEvents as browse, rollupCount, type BrowseReader, type IndexEntry } from '../event-browse'
import type { BrowseOptions, EventFilter, EventPage } from '../events'
import { filterConditions, Params, rollupFilterConditions } from './event-filter'
import { getEvents } from './event-queries'

/** The Postgres queries of the shared browse steps (`../event-browse`), for one org and one filter. */
function postgresReader(sql: SQL, org: string, f: EventFilter): BrowseReader {
  // The match expression's parameters come first ($1…), then each query's own.
  const hitParams = new Params()
  const conditions = filterConditions(f, hitParams)
  const hit = conditions.length ? conditions.join(' AND ') : 'NULL'
  return {
    filtered: conditions.length > 0,
    async entries(below, floor, take) {
      const p = new Params()
      p.values.push(...hitParams.values)
      const where = [`org_id = ${p.add(org)}`, ...(below ? [`id < ${p.add(below)}`] : []), ...(floor ? [`id >= ${p.add(floor)}`] : [])]
      const text = `SELECT id, ${hit} AS hit FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${p.add(take)}`
      return (await sql.unsafe(text, p.values)) as IndexEntry[]
    },
    async oldestTime() {
      const [first] = await sql.unsafe('SELECT time::float8 AS t FROM events WHERE org_id = $1 ORDER BY id LIMIT 1', [org])
      return first ? (first.t as number) : null
    },
    async matchingHoursIn(from, to) {
      const p = new Params()
      const where = [`org_id = ${p.add(org)}`, `hour >= ${p.add(from)}`, `hour < ${p.add(to)}`, ...rollupFilterConditions(f, p)]
      const rows: { hour: number }[] = await sql.unsafe(
        `SELECT hour::float8 AS hour FROM rollups_hourly WHERE ${where.join(' AND ')} GROUP BY hour HAVING ${rollupCount(f)} > 0 ORDER BY hour DESC`,
        p.values,
      )
      return rows.map((r) => r.hour)
    },
    events: (ids) => getEvents(sql, org, ids),
  }
}

/** One page of an org's events, newest first, filtered, after `cursor`: see `browseEvents` in `../event-browse`. */
export function browseEvents(sql: SQL, org: string, f: EventFilter, cursor: string | null, opts: BrowseOptions): Promise<EventPage> {
  return browse(postgresReader(sql, org, f), cursor, opts)
}
