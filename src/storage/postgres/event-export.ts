import type { SQL } from 'bun'
import type { LectrEvent } from '../../domain'
import type { EventRow } from '../../events/columns'
import { exportPages } from '../event-export'
import type { EventFilter } from '../events'
import { POSTGRES_EVENT_COLUMNS } from './event-columns'
import { matchExpression, Params } from './event-filter'

/**
 * An org's events matching `f`, newest first, a step at a time (see `exportPages`): the same walk as SQLite's, so the
 * same pages. Each step is one statement on the pool; nothing is held between steps.
 */
export function postgresExportPages(sql: SQL, org: string, f: EventFilter, opts: { scanRows?: number } = {}): AsyncIterableIterator<LectrEvent[]> {
  return exportPages(
    async (below, floor, take) => {
      const p = new Params()
      const hit = matchExpression(f, p)
      const where = [`org_id = ${p.add(org)}`]
      if (below) where.push(`id < ${p.add(below)}`)
      if (floor) where.push(`id >= ${p.add(floor)}`)
      return sql.unsafe(`SELECT ${POSTGRES_EVENT_COLUMNS}, ${hit} AS hit FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${p.add(take)}`, p.values) as Promise<
        (EventRow & { hit: boolean | null })[]
      >
    },
    f,
    opts,
  )
}
