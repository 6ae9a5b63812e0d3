/**
 * Spans read from the Postgres roll-ups, shaped exactly as SQLite's `readSpan` shapes them (src/storage/sqlite/
 * rollup-days.ts): the same maps, keys inserted in the same order (SQLite's GROUP BY hands groups back sorted by
 * their columns, byte order), the same objects key by key, so a span serialises byte for byte as SQLite's.
 *
 * Sums of DOUBLE PRECISION columns: SQLite's SUM adds floats with compensation (Kahan-Babuska-Neumaier) and Postgres's
 * SUM(float8) adds naively, so the two differ in the last bits. Postgres hands the values over instead
 * (`array_agg`, in the order SQLite reads the rows) and `sqliteSum` adds them as SQLite does, step for step.
 * Integer sums come back as float8 (numbers, not Bun's strings for BIGINT/NUMERIC).
 */
import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import { shownColumn, shownString } from '../../limits'
import { groupKey, type Group, type Span, type SpanParts, type Sums } from '../rollups'

/** A float column's values in a group, in `order`, for `sqliteSum` (NULLs left out, as SUM leaves them). */
export const floatSumSql = (c: string, order: string) => `array_agg(${c} ORDER BY ${order}) FILTER (WHERE ${c} IS NOT NULL)`
export const intSumSql = (c: string) => `COALESCE(SUM(${c}), 0)::float8`

/**
 * SQLite's SUM (and TOTAL) of floats, step for step (func.c, sumStep and sumFinalize since 3.43): Kahan-Babuska-Neumaier
 * compensated summation, the error term added at the end. No values (NULL): 0.
 */
export function sqliteSum(values: readonly number[] | null): number {
  if (!values) return 0
  let sum = 0
  let err = 0
  for (const r of values) {
    const t = sum + r
    if (Math.abs(sum) > Math.abs(r)) err += sum - t + r
    else err += r - t + sum
    sum = t
  }
  return Number.isFinite(err) ? sum + err : sum
}

const float = floatSumSql
const int = intSumSql
/** rows of one roll-up group in the order SQLite's scans of the primary key meet them */
const ROW_ORDER = 'hour, provider COLLATE "C", model COLLATE "C", feature COLLATE "C", task COLLATE "C"'

/** The SQL of a `Sums`, its columns in `Sums`' (and SQLite's SUMS_SQL's) order; the float ones as arrays (see `sumsOf`). */
export const pgSumsSql = (order: string) => `${int('requests')} AS requests, ${int('errors')} AS errors, ${float('cost_usd', order)} AS "costUsd",
  ${int('unpriced_requests')} AS "unpricedRequests", ${float('latency_ms_sum', order)} AS "latencyMsSum", ${int('input_tokens')} AS "inputTokens",
  ${int('cached_input_tokens')} AS "cachedInputTokens", ${int('cache_write_tokens')} AS "cacheWriteTokens",
  ${int('cache_write_1h_tokens')} AS "cacheWrite1hTokens", ${int('output_tokens')} AS "outputTokens"`

const MODEL = shownColumn('model')
const FEATURE = shownColumn('feature')
const GROUP_COLUMNS = `provider, ${MODEL} AS model, task, ${FEATURE} AS feature`
const GROUP_ORDER = `provider COLLATE "C", ${MODEL} COLLATE "C", task COLLATE "C", ${FEATURE} COLLATE "C"`

type SumsRow = Record<string, number> & { costUsd: number[] | null; latencyMsSum: number[] | null }

export function sumsOf(r: SumsRow): Sums {
  return {
    requests: r.requests!, errors: r.errors!, costUsd: sqliteSum(r.costUsd), unpricedRequests: r.unpricedRequests!, latencyMsSum: sqliteSum(r.latencyMsSum),
    inputTokens: r.inputTokens!, cachedInputTokens: r.cachedInputTokens!, cacheWriteTokens: r.cacheWriteTokens!,
    cacheWrite1hTokens: r.cacheWrite1hTokens!, outputTokens: r.outputTokens!,
  }
}

type GroupRow = SumsRow & { provider: string; model: string; task: string; feature: string }

function groupOf(r: GroupRow): Group {
  return { provider: r.provider, model: shownString(r.model), task: r.task, feature: shownString(r.feature), ...sumsOf(r) }
}

function emptySpan(from: number, to: number): Span {
  return { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
}

async function readHours(sql: SQL, org: string, from: number, to: number, span: Span): Promise<void> {
  const hours: (SumsRow & { hour: number })[] = await sql.unsafe(
    `SELECT hour::float8 AS hour, ${pgSumsSql(ROW_ORDER)} FROM rollups_hourly WHERE org_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour ORDER BY hour`,
    [org, from, to],
  )
  for (const r of hours) span.hours.set(r.hour, sumsOf(r))
  const latency: { hour: number; bucket: number; n: number }[] = await sql.unsafe(
    `SELECT hour::float8 AS hour, bucket, SUM(requests)::float8 AS n FROM latency_hourly WHERE org_id = $1 AND hour >= $2 AND hour < $3
     GROUP BY hour, bucket ORDER BY hour, bucket`,
    [org, from, to],
  )
  for (const r of latency) {
    let buckets = span.latency.get(r.hour)
    if (!buckets) span.latency.set(r.hour, (buckets = new Map()))
    buckets.set(r.bucket, r.n)
  }
}

async function hourlyGroups(sql: SQL, org: string, from: number, to: number): Promise<Group[]> {
  const rows: GroupRow[] = await sql.unsafe(
    `SELECT ${GROUP_COLUMNS}, ${pgSumsSql(ROW_ORDER)} FROM rollups_hourly WHERE org_id = $1 AND hour >= $2 AND hour < $3
     GROUP BY 1, 2, 3, 4 ORDER BY ${GROUP_ORDER}`,
    [org, from, to],
  )
  return rows.map(groupOf)
}

/** As SQLite's `readSpan`: [from, to) of an org's roll-ups, only the `parts` asked for. */
export async function readSpan(sql: SQL, org: string, from: number, to: number, parts: SpanParts = 'all'): Promise<Span> {
  if (from % DAY_MS === 0 && to === from + DAY_MS && parts !== 'hours') {
    const [day] = await readDays(sql, org, from, to, parts)
    return day!
  }
  const span = emptySpan(from, to)
  if (from >= to) return span
  if (parts !== 'groups') await readHours(sql, org, from, to, span)
  if (parts !== 'hours') for (const g of await hourlyGroups(sql, org, from, to)) span.groups.set(groupKey(g), g)
  return span
}

/**
 * Whole UTC days [first, last), one span per day as `readSpan` of that day gives it, in three statements whatever
 * the number of days: a day's groups are its rows of rollups_daily, unless their requests differ from the day's
 * hourly rows (hourly rows written by anything but the writer), when the hourly rows win, as on SQLite.
 */
export async function readDays(sql: SQL, org: string, first: number, last: number, parts: SpanParts = 'all'): Promise<Span[]> {
  const spans: Span[] = []
  const byDay = new Map<number, Span>()
  for (let day = first; day < last; day += DAY_MS) {
    const span = emptySpan(day, day + DAY_MS)
    spans.push(span)
    byDay.set(day, span)
  }
  if (spans.length === 0) return spans
  const whole = emptySpan(first, last)
  if (parts !== 'groups') await readHours(sql, org, first, last, whole)
  for (const [hour, sums] of whole.hours) byDay.get(hour - (hour % DAY_MS))!.hours.set(hour, sums)
  for (const [hour, buckets] of whole.latency) byDay.get(hour - (hour % DAY_MS))!.latency.set(hour, buckets)
  const hourlyRequests = new Map<number, number>()
  if (parts === 'groups') {
    const rows: { day: number; n: number }[] = await sql.unsafe(
      `SELECT (hour - hour % ${DAY_MS})::float8 AS day, SUM(requests)::float8 AS n FROM rollups_hourly
       WHERE org_id = $1 AND hour >= $2 AND hour < $3 GROUP BY 1`,
      [org, first, last],
    )
    for (const r of rows) hourlyRequests.set(r.day, r.n)
  } else {
    for (const span of spans) hourlyRequests.set(span.from, [...span.hours.values()].reduce((n, s) => n + s.requests, 0))
  }
  const rows: (GroupRow & { day: number })[] = await sql.unsafe(
    `SELECT day::float8 AS day, ${GROUP_COLUMNS}, ${pgSumsSql(ROW_ORDER.replace('hour', 'day'))} FROM rollups_daily WHERE org_id = $1 AND day >= $2 AND day < $3
     GROUP BY day, 2, 3, 4, 5 ORDER BY day, ${GROUP_ORDER}`,
    [org, first, last],
  )
  const daily = new Map<number, Group[]>()
  for (const r of rows) {
    let groups = daily.get(r.day)
    if (!groups) daily.set(r.day, (groups = []))
    const { day: _day, ...group } = r
    groups.push(groupOf(group as GroupRow))
  }
  for (const span of spans) {
    let groups = daily.get(span.from) ?? []
    if (groups.reduce((n, g) => n + g.requests, 0) !== (hourlyRequests.get(span.from) ?? 0)) {
      groups = await hourlyGroups(sql, org, span.from, span.to)
    }
    for (const g of groups) span.groups.set(groupKey(g), g)
  }
  return spans
}
