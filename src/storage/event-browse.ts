import { DAY_MS, HOUR_MS, type LectrEvent } from '../domain'
import { nextTurn } from '../event-loop'
import { idFloorOf } from '../events/queries'
import type { BrowseOptions, EventFilter, EventPage } from './events'

/** The millisecond a UUIDv7 (or an `idFloorOf` cursor) was minted at; null for any other id. */
export function uuidv7Time(id: string): number | null {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-[07][0-9a-f]{3}-/.exec(id)
  return m ? Number.parseInt(m[1]! + m[2]!, 16) : null
}

/** How many of an hour's requests may match, as roll-ups count them (errors kept, so a status class splits too). */
export function rollupCount(f: EventFilter): string {
  const errorsOnly = f.statusClass === 'error' || (f.status !== null && f.status >= 400)
  const okOnly = f.statusClass === 'ok' || (f.status !== null && f.status < 400)
  return okOnly && errorsOnly ? '0' : okOnly ? 'SUM(requests - errors)' : errorsOnly ? 'SUM(errors)' : 'SUM(requests)'
}

/** How many of the newest events a filtered page tries first, before asking the roll-ups. */
export const RECENT_SCAN = 2000
/** Index entries read per step of a filtered scan. */
export const CHUNK = 5000
/**
 * At most this many events are read for one filtered page (about 60 ms with ten million events). A page that
 * runs out before it is full ends early, and its `next` cursor continues the search further back.
 */
export const SCAN_BUDGET = 40_000
/** Ids are minted a moment before an event's time is taken; a minute covers that and small clock steps. */
export const SLACK_MS = 60_000

/** One index entry of an org's events, newest first, and whether the event matches the filter (null: no filter). */
export interface IndexEntry {
  id: string
  hit: boolean | number | null
}

/** What a store gives `browseEvents`: the queries, in its own SQL, over one org and one filter. */
export interface BrowseReader {
  /** whether the filter narrows the events at all (an unfiltered page is one read of the index) */
  readonly filtered: boolean
  /** Up to `take` entries with ids below `below` (all when null) and at or above `floor` (when given), newest first. */
  entries(below: string | null, floor: string | null, take: number): Promise<IndexEntry[]>
  /** The time (epoch ms) of the org's oldest event still in the log, or null when it has none. */
  oldestTime(): Promise<number | null>
  /** The hours of [from, to) whose roll-ups count matching requests, newest first. */
  matchingHoursIn(from: number, to: number): Promise<number[]>
  /** The events of these ids, in this order (ids no longer stored are left out). */
  events(ids: string[]): Promise<LectrEvent[]>
}

/**
 * One page of an org's events, newest first, filtered by `read`, after `cursor` (exclusive). `next` is the cursor of the
 * following page, null on the last. The same steps for every store, so both give the same pages.
 *
 * Unfiltered, this reads `limit + 1` entries of the `(org_id, id)` index. With a filter:
 * 1. the newest RECENT_SCAN events usually hold a page of matches;
 * 2. otherwise the index is read further back, but only through the hours the roll-ups say hold matches (ids
 *    are UUIDv7, so an hour is an id range; a finished day `dayMayMatch` rules out is not read at all), and never
 *    more than `scanBudget` events per page: a filter that matches very little (one rare model in ten million
 *    events) gives shorter pages, each still fast, and the `next` cursor picks up where the search stopped.
 * Ids that are not UUIDv7 are read the same way, without skipping hours.
 */
export async function browseEvents(read: BrowseReader, cursor: string | null, opts: BrowseOptions): Promise<EventPage> {
  const limit = opts.limit ?? 50
  const page = async (ids: string[], next: string | null = ids.length > limit ? ids[limit - 1]! : null): Promise<EventPage> => ({
    events: await read.events(ids.slice(0, limit)),
    next,
  })
  if (!read.filtered) return page((await read.entries(cursor, null, limit + 1)).map((r) => r.id))

  // 1. Most filters match plenty among the newest events.
  const recent = await read.entries(cursor, null, RECENT_SCAN)
  const recentHits = recent.filter((r) => r.hit).map((r) => r.id)
  if (recentHits.length > limit || recent.length < RECENT_SCAN) return page(recentHits)

  // 2. Further back, within a budget, skipping hours without matches.
  const found = recentHits
  let pos = recent[recent.length - 1]!.id
  let budget = (opts.scanBudget ?? SCAN_BUDGET) - recent.length
  let chunks = 0
  const scan = async (floor: string | null): Promise<boolean> => {
    // Reads [floor, pos) newest first until the page is full or the budget is spent; true when the range is done.
    // A chunk per turn of the event loop: a proxied request waits for one chunk, not for the whole scan.
    while (found.length <= limit && budget > 0) {
      if (chunks++ > 0) await nextTurn()
      const take = Math.min(CHUNK, budget)
      const rows = await read.entries(pos, floor, take)
      budget -= rows.length
      for (const r of rows) if (r.hit) found.push(r.id)
      if (rows.length > 0) pos = rows[rows.length - 1]!.id
      if (rows.length < take) {
        if (floor) pos = floor
        return true
      }
    }
    return false
  }
  const posTime = uuidv7Time(pos)
  if (posTime === null) {
    const done = await scan(null)
    return found.length > limit ? page(found) : page(found, done ? null : pos)
  }
  for await (const hour of matchingHours(read, posTime, opts)) {
    const top = idFloorOf(hour + HOUR_MS + SLACK_MS)
    if (top < pos) pos = top // nothing matches between: skip ahead
    if (!(await scan(idFloorOf(hour - SLACK_MS)))) break
  }
  if (found.length > limit) return page(found)
  return page(found, budget > 0 ? null : pos)
}

/** The UTC day (its first ms) that `ms` falls in. */
function dayOf(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS)
}

/**
 * The hours at or before `at` that hold matching events, newest first, back to the oldest event still in the log.
 * A finished day that `dayMayMatch` rules out costs nothing; only the others are read hour by hour.
 */
async function* matchingHours(read: BrowseReader, at: number, opts: BrowseOptions): AsyncGenerator<number> {
  const oldest = await read.oldestTime()
  if (oldest === null) return
  const oldestHour = oldest - (oldest % HOUR_MS)
  const today = dayOf(opts.now)
  const lastHour = at - (at % HOUR_MS)
  for (let day = dayOf(lastHour); day + DAY_MS > oldestHour; day -= DAY_MS) {
    const from = Math.max(day, oldestHour)
    const to = Math.min(day + DAY_MS, lastHour + HOUR_MS)
    if (from === day && to === day + DAY_MS && day < today && opts.dayMayMatch && !(await opts.dayMayMatch(day))) continue
    yield* await read.matchingHoursIn(from, to)
  }
}
