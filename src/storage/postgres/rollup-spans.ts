/**
 * Spans read from the Postgres roll-ups, shaped exactly as SQLite's `readSpan` shapes them (src/storage/sqlite/
 * rollup-days.ts): the same maps, keys inserted in the same order (SQLite's GROUP BY hands groups back sorted by
 * their columns, byte order), the same objects key by key, so a span serialises byte for byte as SQLite's.
 *
 * Sums of DOUBLE PRECISION columns: SQLite's SUM adds floats with compensation (Kahan-Babuska-Neumaier), which in
 * practice gives the exact sum correctly rounded; Postgres's SUM(float8) adds naively and differs in the last bits
 * (most sums of costs). `floatSumSql` sums exactly instead (see there) and rounds once. Measured 2026-12-07: over 1,000
 * sums of 300,000 values from 1e-12 to 1e6, 0 differ from SQLite's SUM (SUM(float8): 884); 1M rows take about 1.5 times
 * as long as with SUM(float8), half the time of handing the values to JavaScript to add as SQLite does.
 * Integer sums come back as float8 (numbers, not Bun's strings for BIGINT/NUMERIC).
 */
import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import { shownColumn, shownString } from '../../limits'
import { groupKey, type Group, type Span, type SpanParts, type Sums } from '../rollups'
import { groupRows } from './group-rows'

/**
 * For the transaction it runs in: no JIT compilation. A roll-up read of a day or a month is estimated above
 * `jit_above_cost` and compiled, which took 1.1–1.3 s of its 2.2 s at 10M events (auto_explain: "JIT … Emission
 * 1133 ms") for statements that run in tens of milliseconds without it.
 */
export async function noJit(tx: SQL): Promise<void> {
  await tx.unsafe('SET LOCAL jit = off')
}

/** 2^-n as an exact decimal literal (5^n / 10^n) */
function twoToMinus(n: number): string {
  return `0.${(5n ** BigInt(n)).toString().padStart(n, '0')}`
}

/**
 * The exact sum of a float8 column, rounded once to float8 (as numeric → text → float8: correctly rounded). Each
 * value times 2^scale is split into its integer part, the next 40 bits (both summed exactly as integers) and the rest
 * (summed as float8: below 2^-(scale+40), its rounding cannot reach the result's last bit). `scale` bounds the values:
 * each below 2^(62 - scale).
 */
export function floatSumSql(column: string, scale: number): string {
  const y = `(${column} * ${2 ** scale}::float8)`
  const rest = `((${y} - floor(${y})) * ${2 ** 40}::float8)`
  return `((COALESCE(SUM(floor(${y})::bigint), 0)::numeric + (COALESCE(SUM(floor(${rest})::bigint), 0)::numeric
    + COALESCE(SUM(${rest} - floor(${rest})), 0)::numeric) * ${twoToMinus(40)}) * ${twoToMinus(scale)})::float8`
}
/** costs (USD) below 2^30 per roll-up row */
export const COST_SCALE = 32
/** latency sums (ms) below 2^46 per roll-up row */
export const LATENCY_SCALE = 16
export const intSumSql = (c: string) => `COALESCE(SUM(${c}), 0)::float8`

const int = intSumSql

/** The SQL of a `Sums`, its columns in `Sums`' (and SQLite's SUMS_SQL's) order. */
const SUMS_SQL = `${int('requests')} AS requests, ${int('errors')} AS errors, ${floatSumSql('cost_usd', COST_SCALE)} AS "costUsd",
  ${int('unpriced_requests')} AS "unpricedRequests", ${floatSumSql('latency_ms_sum', LATENCY_SCALE)} AS "latencyMsSum", ${int('input_tokens')} AS "inputTokens",
  ${int('cached_input_tokens')} AS "cachedInputTokens", ${int('cache_write_tokens')} AS "cacheWriteTokens",
  ${int('cache_write_1h_tokens')} AS "cacheWrite1hTokens", ${int('output_tokens')} AS "outputTokens"`

const MODEL = shownColumn('model')
const FEATURE = shownColumn('feature')
const GROUP_COLUMNS = `provider, ${MODEL} AS model, task, ${FEATURE} AS feature`

type SumsRow = Record<string, number>

export function sumsOf(r: SumsRow): Sums {
  return {
    requests: r.requests!, errors: r.errors!, costUsd: r.costUsd!, unpricedRequests: r.unpricedRequests!, latencyMsSum: r.latencyMsSum!,
    inputTokens: r.inputTokens!, cachedInputTokens: r.cachedInputTokens!, cacheWriteTokens: r.cacheWriteTokens!,
    cacheWrite1hTokens: r.cacheWrite1hTokens!, outputTokens: r.outputTokens!,
  }
}

/** A summed group with its names shown as SQLite shows them (cut past the limit, src/limits.ts). */
function groupOf(g: Group): Group {
  g.model = shownString(g.model)
  g.feature = shownString(g.feature)
  return g
}

function emptySpan(from: number, to: number): Span {
  return { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
}

async function readHours(sql: SQL, org: string, from: number, to: number, span: Span): Promise<void> {
  const hours: (SumsRow & { hour: number })[] = await sql.unsafe(
    `SELECT hour::float8 AS hour, ${SUMS_SQL} FROM rollups_hourly WHERE org_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour ORDER BY hour`,
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

/** A roll-up row's group columns and sums as they are (summed by `groupRows`), in `Group`'s order. */
const ROW_SQL = `${GROUP_COLUMNS}, requests::float8 AS requests, errors::float8 AS errors, cost_usd AS "costUsd",
  unpriced_requests::float8 AS "unpricedRequests", latency_ms_sum AS "latencyMsSum", input_tokens::float8 AS "inputTokens",
  cached_input_tokens::float8 AS "cachedInputTokens", cache_write_tokens::float8 AS "cacheWriteTokens",
  cache_write_1h_tokens::float8 AS "cacheWrite1hTokens", output_tokens::float8 AS "outputTokens"`

async function hourlyGroups(sql: SQL, org: string, from: number, to: number): Promise<Group[]> {
  const rows: Group[] = await sql.unsafe(`SELECT ${ROW_SQL} FROM rollups_hourly WHERE org_id = $1 AND hour >= $2 AND hour < $3`, [org, from, to])
  return groupRows(rows).map(groupOf)
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
  const rows: (Group & { day: number })[] = await sql.unsafe(
    `SELECT day::float8 AS day, ${ROW_SQL} FROM rollups_daily WHERE org_id = $1 AND day >= $2 AND day < $3`,
    [org, first, last],
  )
  const daily = new Map<number, Group[]>()
  for (const r of rows) {
    let dayRows = daily.get(r.day)
    if (!dayRows) daily.set(r.day, (dayRows = []))
    const { day: _day, ...row } = r
    dayRows.push(row)
  }
  for (const span of spans) {
    let groups = groupRows(daily.get(span.from) ?? []).map(groupOf)
    if (groups.reduce((n, g) => n + g.requests, 0) !== (hourlyRequests.get(span.from) ?? 0)) {
      groups = await hourlyGroups(sql, org, span.from, span.to)
    }
    for (const g of groups) span.groups.set(groupKey(g), g)
  }
  return spans
}
