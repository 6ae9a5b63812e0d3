import type { Database } from 'bun:sqlite'
import type { LectrEvent } from '../../domain'
import type { EventRow } from '../../events/columns'
import { exportPages } from '../event-export'
import { EVENT_COLUMNS } from './event-columns'
import type { EventFilter } from '../events'
import { matchExpression } from './event-filter'

/**
 * An org's events matching `f`, newest first, read on `db` a step at a time (see `exportPages`). Reads only, no
 * transaction: the writer keeps writing.
 */
export function sqliteExportPages(
  db: Database,
  org: string,
  f: EventFilter,
  opts: { scanRows?: number; onStep?: () => void; release?: () => void } = {},
): AsyncIterableIterator<LectrEvent[]> {
  const match = matchExpression(f, '1')
  return exportPages(
    (below, floor, take) =>
      db
        .query(
          `SELECT ${EVENT_COLUMNS}, ${match.sql} AS hit FROM events
           WHERE org_id = ? ${below ? 'AND id < ?' : ''} ${floor ? 'AND id >= ?' : ''} ORDER BY id DESC LIMIT ?`,
        )
        .all(...match.args, org, ...(below ? [below] : []), ...(floor ? [floor] : []), take) as (EventRow & { hit: number })[],
    f,
    opts,
  )
}
