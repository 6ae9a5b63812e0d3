import { EVENT_FIELD_COLUMNS } from '../../events/columns'
import { shownColumn } from '../../limits'

/**
 * The select list that reads an `events` row of Postgres in the shape `toEvent` (src/events/columns.ts) maps, as
 * SQLite's EVENT_COLUMNS does: BIGINT columns (times, token counts) cast to float8, because Bun returns int8 as a
 * string (exact: epoch milliseconds and token counts are far below 2^53); the client's and upstreams' strings read
 * cut (`substr` means the same in both).
 */
export const POSTGRES_EVENT_COLUMNS = EVENT_FIELD_COLUMNS.map((c) => {
  if ('read' in c && c.read === 'shown') return `${shownColumn(c.column)} AS ${c.column}`
  if (c.kind === 'time' || c.kind === 'int') return `${c.column}::float8 AS ${c.column}`
  return c.column
}).join(', ')
