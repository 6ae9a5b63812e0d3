import { EVENT_FIELD_COLUMNS } from '../../events/columns'
import { shownColumn } from '../../limits'

// The SQL text the column table (src/events/columns.ts) gives SQLite's event store.

/** `INSERT INTO events (...) VALUES (?, ...)`, the values in the order of `eventValues`. */
export const EVENT_INSERT = `INSERT INTO events (${EVENT_FIELD_COLUMNS.map((c) => c.column).join(', ')})
  VALUES (${EVENT_FIELD_COLUMNS.map(() => '?').join(', ')})`

/** Every mapped column of `events`, the client's and upstreams' strings read cut (`read: 'shown'`). */
export const EVENT_COLUMNS = EVENT_FIELD_COLUMNS.map((c) =>
  'read' in c && c.read === 'shown' ? `${shownColumn(c.column)} AS ${c.column}` : c.column,
).join(', ')
