import type { Database } from 'bun:sqlite'
import type { LectrEvent } from '../../domain'
import { browseEvents as browse, rollupCount, type BrowseReader, type IndexEntry } from '../event-browse'
import type { BrowseOptions, EventFilter, EventPage } from '../events'
import { getEvent } from './event-queries'

interface Where {
  sql: string[]
  args: (string | number)[]
}

const TEXT_FILTERS = ['provider', 'model', 'feature', 'task'] as const

/** The text filters as SQL (on `events` or a roll-up table: both have these columns). */
function textWhere(f: EventFilter, w: Where): Where {
  for (const column of TEXT_FILTERS) {
    const value = f[column]
    if (value) (w.sql.push(`${column} = ?`), w.args.push(value))
  }
  return w
}

/** The filters as SQL on `events`. */
function filterWhere(f: EventFilter): Where {
  const w = textWhere(f, { sql: [], args: [] })
  if (f.status !== null) (w.sql.push('status = ?'), w.args.push(f.status))
  if (f.statusClass === 'ok') w.sql.push('status < 400')
  if (f.statusClass === 'error') w.sql.push('status >= 400')
  if (f.since !== null) (w.sql.push('time >= ?'), w.args.push(f.since))
  if (f.until !== null) (w.sql.push('time < ?'), w.args.push(f.until))
  return w
}

/** The SQLite queries of the shared browse steps (`../event-browse`), for one org and one filter. */
function sqliteReader(db: Database, org: string, f: EventFilter): BrowseReader {
  const filter = filterWhere(f)
  const hit = filter.sql.length ? filter.sql.join(' AND ') : 'NULL'
  return {
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
  return browse(sqliteReader(db, org, f), f, cursor, opts)
}
