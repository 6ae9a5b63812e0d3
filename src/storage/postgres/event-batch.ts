import type { SQL } from 'bun'
import type { LectrEvent } from '../../domain'
import { EVENT_FIELD_COLUMNS, eventValues, type ColumnKind } from '../../events/columns'

/** The Postgres array type each kind of event column is sent as (see POSTGRES_MIGRATIONS' `events`). */
const ARRAY_TYPE: Record<ColumnKind, { cast: string; bun: 'TEXT' | 'INT8' | 'INT2' | 'FLOAT8' }> = {
  text: { cast: 'text[]', bun: 'TEXT' },
  time: { cast: 'bigint[]', bun: 'INT8' },
  int: { cast: 'bigint[]', bun: 'INT8' },
  bool: { cast: 'smallint[]', bun: 'INT2' },
  real: { cast: 'float8[]', bun: 'FLOAT8' },
}

const COLUMNS = EVENT_FIELD_COLUMNS.map((c) => c.column)
const KINDS: readonly ColumnKind[] = EVENT_FIELD_COLUMNS.map((c) => c.kind)

/**
 * One statement for any batch size: one array parameter per column, unnested into rows, so the text never changes
 * and each connection prepares it once (a multi-row VALUES list would be a new statement per batch size, and is
 * capped at 65,535 parameters: 2,047 events). A replayed event (same org, id and time) is skipped, as on SQLite.
 */
export const EVENT_BATCH_INSERT = `INSERT INTO events (${COLUMNS.join(', ')})
  SELECT * FROM unnest(${KINDS.map((k, i) => `$${i + 1}::${ARRAY_TYPE[k].cast}`).join(', ')})
  ON CONFLICT (org_id, id, time) DO NOTHING
  RETURNING org_id, id`

/**
 * A batch of events not seen before (every batch but a replay) goes in by COPY: no ON CONFLICT (speculative insertion
 * checks the index once more and writes a third WAL record per row), no rows returned (they cost both sides), no
 * arrays to parse (array_in and the unnest were half the server's time per event), and rows written a page at a time.
 * Server CPU per event 21.6 -> 14.6 µs without ON CONFLICT and RETURNING (the writer's 17 -> 10 µs), -> 8.2 µs by
 * COPY; WAL 476 -> 427 -> 377 B (2026-12-07, batches of 350, bench/postgres-write-profile.ts). A duplicate fails the
 * COPY with unique_violation (`isDuplicateEvent`).
 */
export const EVENT_BATCH_COPY = `COPY events (${COLUMNS.join(', ')}) FROM STDIN`

/**
 * Postgres text cannot hold U+0000 (SQLite can): one such character in a client's model name would make the whole
 * batch fail, again at every retry. It is stored as U+FFFD, the replacement character.
 */
export function storableText(v: string): string {
  return v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v
}

/** One array per column, in COLUMNS' order, U+0000 replaced (see `storableText`). */
function columnArrays(sql: SQL, events: readonly LectrEvent[]): unknown[] {
  const columns: unknown[][] = COLUMNS.map(() => new Array(events.length))
  const row: unknown[] = new Array(COLUMNS.length)
  for (let e = 0; e < events.length; e++) {
    eventValues(events[e]!, row as never)
    for (let c = 0; c < COLUMNS.length; c++) {
      const v = row[c]
      columns[c]![e] = typeof v === 'string' ? storableText(v) : v
    }
  }
  return columns.map((values, c) => sql.array(values as unknown[], ARRAY_TYPE[KINDS[c]!].bun))
}

/**
 * Inserts a batch of events with one statement and returns those inserted (in the batch's order), leaving out those
 * already in the table: only these may be added to the roll-ups. Run it in the transaction that adds their roll-ups,
 * after the partitions of their days exist (`PartitionDays.ensure`).
 */
export async function insertEventBatch(sql: SQL, events: readonly LectrEvent[]): Promise<LectrEvent[]> {
  if (events.length === 0) return []
  const rows: { org_id: string; id: string }[] = await sql.unsafe(EVENT_BATCH_INSERT, columnArrays(sql, events))
  if (rows.length === events.length) return [...events]
  // Taken off as matched: an event twice in one batch is inserted, and so counted, once.
  const inserted = new Set(rows.map((r) => `${r.org_id}\u0000${r.id}`))
  return events.filter((e) => inserted.delete(`${e.org}\u0000${e.id}`))
}

const COPY_SPECIAL = /[\\\t\n\r]/
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** A value in COPY's text format: `\N` for null; backslash, tab, newline and carriage return escaped. */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N'
  if (typeof v === 'string') {
    const s = storableText(v)
    return COPY_SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s
  }
  // String(-0) is "0": a negative zero is stored as 0, as the arrays store it.
  return String(v)
}

/** The batch as COPY's text format: one line per event, the fields in COLUMNS' order, tab-separated. */
export function copyRows(events: readonly LectrEvent[]): string {
  const row: unknown[] = new Array(COLUMNS.length)
  let out = ''
  for (const e of events) {
    eventValues(e, row as never)
    let line = copyField(row[0])
    for (let c = 1; c < row.length; c++) line += `\t${copyField(row[c])}`
    out += `${line}\n`
  }
  return out
}

/**
 * Inserts a batch none of whose events is in the table yet, all of them or none: an event already there (a replay
 * of a batch whose commit was not confirmed, a spilled event written before) or twice in the batch fails the COPY,
 * and with it the transaction, with unique_violation (`isDuplicateEvent`). The caller then runs the transaction
 * again with `insertEventBatch`, which skips those. Much cheaper than `insertEventBatch` (see EVENT_BATCH_COPY) for
 * the batches that are not replays, which are nearly all. A value the server refuses fails it as the insert would.
 */
export async function insertNewEventBatch(sql: SQL, events: readonly LectrEvent[]): Promise<void> {
  if (events.length === 0) return
  const writer = sql.unsafe(EVENT_BATCH_COPY).writable().getWriter()
  await writer.write(copyRows(events))
  await writer.close()
}

/** The failure of `insertNewEventBatch` when an event of the batch is already stored (SQLSTATE 23505). */
export function isDuplicateEvent(err: unknown): boolean {
  return (err as { errno?: unknown } | null)?.errno === '23505'
}
