import type { Database } from 'bun:sqlite'
import type { LectrEvent } from '../../domain'
import { browseEvents as browse, rollupCount, type BrowseReader, type IndexEntry } from '../event-browse'
import type { BrowseOptions, EventFilter, EventPage } from '../events'
import { filterWhere, textWhere } from './event-filter'
import { getEvent } from './event-queries'

/** The SQLite queries of the shared browse steps (`../event-browse`), for one org and one filter. */
function sqliteReader(db: Database, org: string, f: EventFilter): BrowseReader {
  const filter = filterWhere(f)
  const hit = filter.sql.length ? filter.sql.join(' AND ') : 'NULL'
  return {
    filtered: filter.sql.length > 0,
    async entries(below, floor, take) {
      const sql = `SELECT id, ${hit} AS hit FROM events WHERE org_id = ? ${below ? 'AND id < ?' : ''} ${floor ? 'AND id >= ?' : ''} ORDER BY id DESC LIMIT ?`
      const args = [...filter.args, org, ...(below ? [below] : []), ...(floor ? [floor] : []), take]
      return db.query(sql).all(...args) as IndexEntry[]
    },
    async oldestTime() {
      return (db.query('SELECT time AS t FROM events WHERE org_id = ? ORDER BY id LIMIT 1').get(org) as { t: number } | null)?.t ?? null
    },
    async matchingHoursIn(from, to) {
      const where = textWhere(f, { sql: ['org_id = ?', 'hour >= ?', 'hour < ?'], args: [org, from, to] })
      const rows = db
        .query(`SELECT hour, ${rollupCount(f)} AS n FROM rollups_hourly WHERE ${where.sql.join(' AND ')} GROUP BY hour HAVING n > 0 ORDER BY hour DESC`)
        .all(...where.args) as { hour: number }[]
      return rows.map((r) => r.hour)
    },
    async events(ids) {
      return ids.map((id) => getEvent(db, org, id)).filter((e): e is LectrEvent => e !== null)
    },
  }
}

/** One page of an org's events, newest first, filtered, after `cursor`: see `browseEvents` in `../event-browse`. */
export function browseEvents(db: Database, org: string, f: EventFilter, cursor: string | null, opts: BrowseOptions): Promise<EventPage> {
  return browse(sqliteReader(db, org, f), cursor, opts)
}
