import type { LectrEvent } from '../domain'
import { toEvent, type EventRow } from '../events/columns'
import { idFloorOf } from '../events/queries'
import type { EventFilter } from './events'

/**
 * Rows read per step: bounds the memory and the time one step holds the event loop, whatever the filters match.
 * (1000 before: Lectr's peak RSS during a 200k-event export grew 55-72 MB with it, 33-48 MB with 200; `make bench-export`.)
 */
export const SCAN_ROWS = 200
/** Ids are minted a moment before an event's time is taken; a minute of slack covers that and small clock steps. */
const SLACK_MS = 60_000

/** Up to `take` rows of an org's events below `below` (all when null) and at or above `floor`, newest first, each
 * with whether it matches the export's filter. */
export type ExportRowReader = (below: string | null, floor: string | null, take: number) => Promise<(EventRow & { hit: unknown })[]> | (EventRow & { hit: unknown })[]

/**
 * An org's events matching `f`, newest first (the events API's order), a step of `scanRows` rows per `next()` (the
 * matches among them: a page may be empty); the same walk down the (org_id, id) index for every store, so the same
 * pages. Events that arrive during the export are not in it (it walks down from the start). `release` runs once:
 * when the pages are done, at `return()`, or when a read fails.
 */
export function exportPages(
  read: ExportRowReader,
  f: EventFilter,
  opts: { scanRows?: number; onStep?: () => void; release?: () => void } = {},
): AsyncIterableIterator<LectrEvent[]> {
  const scanRows = opts.scanRows ?? SCAN_ROWS
  // Ids are UUIDv7: the time range bounds the walk along the (org_id, id) index; `time` decides exactly.
  let below: string | null = f.until !== null ? idFloorOf(f.until + SLACK_MS) : null
  const floor = f.since !== null ? idFloorOf(Math.max(0, f.since - SLACK_MS)) : null
  let done = false
  let released = false
  const release = () => {
    done = true
    if (!released) (released = true), opts.release?.()
  }

  const step = async (): Promise<LectrEvent[]> => {
    opts.onStep?.()
    const rows = await read(below, floor, scanRows)
    if (rows.length < scanRows) done = true
    if (rows.length > 0) below = rows[rows.length - 1]!.id
    const events: LectrEvent[] = []
    for (const r of rows) if (r.hit) events.push(toEvent(r))
    return events
  }

  const pages: AsyncIterableIterator<LectrEvent[]> = {
    async next(): Promise<IteratorResult<LectrEvent[]>> {
      if (done) {
        release()
        return { done: true, value: undefined }
      }
      try {
        return { done: false, value: await step() }
      } catch (err) {
        release()
        throw err
      }
    },
    async return(): Promise<IteratorResult<LectrEvent[]>> {
      release()
      return { done: true, value: undefined }
    },
    [Symbol.asyncIterator]() {
      return pages
    },
  }
  return pages
}
