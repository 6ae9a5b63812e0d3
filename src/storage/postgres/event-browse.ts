import type { SQL } from 'bun'
import { DAY_MS, HOUR_MS } from '../../domain'
import type { BrowseOptions, EventFilter, EventPage } from '../events'
import { CHUNK, RECENT_SCAN, rollupCount, SCAN_BUDGET, SLACK_MS, uuidv7Floor, uuidv7Time } from '../sqlite/event-browse'
import { filterConditions, Params, rollupFilterConditions } from './event-filter'
import { getEvents } from './event-queries'

/**
 * The dashboard's Events page on Postgres: SQLite's `browseEvents` step for step (the same recent scan, chunks,
 * budget, hour skipping and cursors), so both stores give the same pages for the same events. See it for the why.
 */
export async function browseEvents(sql: SQL, org: string, f: EventFilter, cursor: string | null, opts: BrowseOptions): Promise<EventPage> {
  const limit = opts.limit ?? 50
  const page = async (ids: string[], next: string | null = ids.length > limit ? ids[limit - 1]! : null): Promise<EventPage> => ({
    events: await getEvents(sql, org, ids.slice(0, limit)),
    next,
  })
  // The match expression's parameters come first ($1…), then each query's own.
  const hitParams = new Params()
  const conditions = filterConditions(f, hitParams)
  const query = async (where: (p: Params) => string, take: number): Promise<{ id: string; hit: boolean | null }[]> => {
    const p = new Params()
    p.values.push(...hitParams.values)
    const hit = conditions.length ? conditions.join(' AND ') : 'TRUE'
    const text = `SELECT id, ${hit} AS hit FROM events WHERE org_id = ${p.add(org)} ${where(p)} ORDER BY id DESC LIMIT ${p.add(take)}`
    return sql.unsafe(text, p.values)
  }
  const below = (p: Params) => (cursor ? `AND id < ${p.add(cursor)}` : '')
  if (conditions.length === 0) return page((await query(below, limit + 1)).map((r) => r.id))

  // 1. Most filters match plenty among the newest events.
  const recent = await query(below, RECENT_SCAN)
  const recentHits = recent.filter((r) => r.hit).map((r) => r.id)
  if (recentHits.length > limit || recent.length < RECENT_SCAN) return page(recentHits)

  // 2. Further back, within a budget, skipping hours without matches.
  const found = recentHits
  let pos = recent[recent.length - 1]!.id
  let budget = (opts.scanBudget ?? SCAN_BUDGET) - recent.length
  const scan = async (floor: string | null): Promise<boolean> => {
    while (found.length <= limit && budget > 0) {
      const take = Math.min(CHUNK, budget)
      const from = pos
      const rows = await query((p) => `AND id < ${p.add(from)} ${floor ? `AND id >= ${p.add(floor)}` : ''}`, take)
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
  for await (const hour of matchingHours(sql, org, f, posTime, opts)) {
    const top = uuidv7Floor(hour + HOUR_MS + SLACK_MS)
    if (top < pos) pos = top
    if (!(await scan(uuidv7Floor(hour - SLACK_MS)))) break
  }
  if (found.length > limit) return page(found)
  return page(found, budget > 0 ? null : pos)
}

/** Matching requests per hour of [from, to), newest hour first, from `rollups_hourly`. */
async function matchingHoursIn(sql: SQL, org: string, f: EventFilter, from: number, to: number): Promise<number[]> {
  const p = new Params()
  const where = [`org_id = ${p.add(org)}`, `hour >= ${p.add(from)}`, `hour < ${p.add(to)}`, ...rollupFilterConditions(f, p)]
  const rows: { hour: number }[] = await sql.unsafe(
    `SELECT hour::float8 AS hour FROM rollups_hourly WHERE ${where.join(' AND ')} GROUP BY hour HAVING ${rollupCount(f)} > 0 ORDER BY hour DESC`,
    p.values,
  )
  return rows.map((r) => r.hour)
}

function dayOf(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS)
}

/** As SQLite's: the hours at or before `at` that hold matching events, newest first, back to the org's oldest event. */
async function* matchingHours(sql: SQL, org: string, f: EventFilter, at: number, opts: BrowseOptions): AsyncGenerator<number> {
  const [first] = await sql.unsafe('SELECT time::float8 AS t FROM events WHERE org_id = $1 ORDER BY id LIMIT 1', [org])
  if (!first) return
  const oldest = first.t as number
  const oldestHour = oldest - (oldest % HOUR_MS)
  const today = dayOf(opts.now)
  const lastHour = at - (at % HOUR_MS)
  for (let day = dayOf(lastHour); day + DAY_MS > oldestHour; day -= DAY_MS) {
    const from = Math.max(day, oldestHour)
    const to = Math.min(day + DAY_MS, lastHour + HOUR_MS)
    if (from === day && to === day + DAY_MS && day < today && opts.dayMayMatch && !opts.dayMayMatch(day)) continue
    yield* await matchingHoursIn(sql, org, f, from, to)
  }
}
