import { parseEventFilters } from './event-filters'
import type { Database } from 'bun:sqlite'
import { openReadConnection } from '../db/read-connection'
import { CSV_HEADER, csvLine } from '../events/csv'
import { EVENT_COLUMNS, idFloorOf, toEvent, type EventRow } from '../events/queries'
import type { AdminDeps } from './deps'
import { apiError, orgNotFound } from '../http/respond'

export type ExportFormat = 'csv' | 'ndjson'

/** The events API's filters; `statusClass` is the dashboard's (ok: below 400, error: 400 and above). */
export interface ExportFilter {
  provider: string | null
  model: string | null
  feature: string | null
  task: string | null
  status: number | null
  statusClass: 'ok' | 'error' | null
  since: number | null
  until: number | null
}

/**
 * Rows read per step: bounds the memory and the time one step holds the event loop, whatever the filters match.
 * (1000 before: Lectr's peak RSS during a 200k-event export grew 55-72 MB with it, 33-48 MB with 200; `make bench-export`.)
 */
const SCAN_ROWS = 200
/** Ids are minted a moment before an event's time is taken; a minute of slack covers that and small clock steps. */
const SLACK_MS = 60_000
/**
 * An export reads on a connection of its own with this page cache (KiB), closed when it ends: on the server's
 * connection it filled the 64 MiB cache (a 200k-event export grew Lectr's RSS by 129-139 MB then, 55-72 MB without).
 */
const EXPORT_CACHE_KIB = 2048


/** The filters as an SQL expression that is 1 for a matching row (so a step reads a fixed number of rows). */
function matchExpression(f: ExportFilter): { sql: string; args: (string | number)[] } {
  const sql: string[] = []
  const args: (string | number)[] = []
  for (const column of ['provider', 'model', 'feature', 'task'] as const) {
    if (f[column]) (sql.push(`${column} = ?`), args.push(f[column]!))
  }
  if (f.status !== null) (sql.push('status = ?'), args.push(f.status))
  if (f.statusClass === 'ok') sql.push('status < 400')
  if (f.statusClass === 'error') sql.push('status >= 400')
  if (f.since !== null) (sql.push('time >= ?'), args.push(f.since))
  if (f.until !== null) (sql.push('time < ?'), args.push(f.until))
  return { sql: sql.length ? `(${sql.join(' AND ')})` : '1', args }
}

/**
 * An org's events matching `f`, newest first (the events API's order), as CSV or NDJSON. Pull-based: a step of
 * SCAN_ROWS rows is read only when the client has taken what came before, so memory stays flat for any number of
 * events and a client that stops reading stops the reads. Reads only, no transaction: the writer shares the
 * connection and keeps writing; events that arrive during the export are not in it (it walks down from the start).
 */
export function eventExportStream(
  db: Database,
  org: string,
  f: ExportFilter,
  format: ExportFormat,
  opts: { scanRows?: number; onStep?: () => void; close?: () => void } = {},
): ReadableStream<Uint8Array> {
  const scanRows = opts.scanRows ?? SCAN_ROWS
  const match = matchExpression(f)
  // Ids are UUIDv7: the time range bounds the walk along the (org_id, id) index; `time` decides exactly.
  let below: string | null = f.until !== null ? idFloorOf(f.until + SLACK_MS) : null
  const floor = f.since !== null ? idFloorOf(Math.max(0, f.since - SLACK_MS)) : null
  const encoder = new TextEncoder()
  let started = false
  let done = false
  let closed = false
  /** Once, at the end, when the client leaves, or on an error. */
  const finish = () => {
    done = true
    if (!closed) (closed = true), opts.close?.()
  }

  const step = (): string => {
    opts.onStep?.()
    const rows = db
      .query(
        `SELECT ${EVENT_COLUMNS}, ${match.sql} AS hit FROM events
         WHERE org_id = ? ${below ? 'AND id < ?' : ''} ${floor ? 'AND id >= ?' : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...match.args, org, ...(below ? [below] : []), ...(floor ? [floor] : []), scanRows) as (EventRow & { hit: number })[]
    if (rows.length < scanRows) done = true
    if (rows.length > 0) below = rows[rows.length - 1]!.id
    let out = ''
    for (const r of rows) {
      if (!r.hit) continue
      const e = toEvent(r)
      out += format === 'csv' ? csvLine(e) : `${JSON.stringify(e)}\n`
    }
    return out
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let out = ''
        if (!started) {
          started = true
          if (format === 'csv') out = CSV_HEADER
        } else {
          // A client that reads as fast as it can pulls step after step without the event loop turning: every
          // proxied request waited for the whole export (p50 +1 s during 20k events; make bench-read-stall).
          await new Promise((resolve) => setImmediate(resolve))
          if (closed) return
        }
        try {
          // A pull must give something (or end): steps that match nothing go on, yielding to requests between them.
          while (!done && out === '') {
            out = step()
            if (out === '' && !done) await new Promise((resolve) => setImmediate(resolve))
          }
        } catch (err) {
          finish()
          throw err
        }
        if (out) controller.enqueue(encoder.encode(out))
        if (done) (finish(), controller.close())
      },
      cancel() {
        finish()
      },
    },
    { highWaterMark: 0 },
  )
}

/** The export as a download: `lectr-events-<org>-<UTC time>.<csv|ndjson>`. */
export function exportResponse(db: Database, org: string, f: ExportFilter, format: ExportFormat, now: Date): Response {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const reader = openReadConnection(db, EXPORT_CACHE_KIB)
  return new Response(eventExportStream(reader.db, org, f, format, { close: reader.close }), {
    headers: {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      // Org ids are slugs (a-z, 0-9, -): safe in a header as they are.
      'content-disposition': `attachment; filename="lectr-events-${org}-${stamp}.${format}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}

/** GET /api/orgs/:org/events/export?format=csv|ndjson and the events API's filters (no limit, no cursor). */
export function exportEventsRoute(deps: AdminDeps, org: string, query: Record<string, string | undefined>): Response {
  if (!deps.orgs.get(org)) return orgNotFound(org)
  const format = query.format ?? 'ndjson'
  const parsed = parseEventFilters(query, deps.clock())
  const problems = [...(format !== 'csv' && format !== 'ndjson' ? ['format: expected csv or ndjson'] : []), ...parsed.problems]
  if (problems.length || !parsed.filters) return apiError(400, 'lectr_invalid_query', 'The query has problems.', problems)
  deps.flushEvents()
  const filter: ExportFilter = { ...parsed.filters, statusClass: null }
  return exportResponse(deps.db, org, filter, format as ExportFormat, deps.clock())
}
