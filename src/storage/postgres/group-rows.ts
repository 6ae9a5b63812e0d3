/**
 * Roll-up rows summed into groups in JavaScript, as SQLite's `GROUP BY provider, model, task, feature` sums them and
 * in the order it hands them back (byte order of the UTF-8 text). Postgres then only reads rows, with no aggregate:
 * its exact float sums (`floatSumSql`, three integer and float SUMs per column, then `numeric` arithmetic) and the
 * `COLLATE "C"` sort of the groups took 0.5–0.6 s for one day of `rollups_daily` at 10M events (8,385 rows, each its
 * own group) on the loaded bench machine, against 40–80 ms to read the rows. Pure functions.
 */
import type { Group } from '../rollups'

/**
 * The exact sum of finite floats, rounded once to the nearest double (ties to even): Shewchuk's partials, finished
 * as Python's `math.fsum` does. Equal to `floatSumSql`'s exact sum, and so to SQLite's compensated SUM in practice.
 */
export function exactSum(values: readonly number[]): number {
  if (values.length === 1) return values[0]!
  const partials: number[] = []
  for (let x of values) {
    let i = 0
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j]!
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x]
      const hi = x + y
      const lo = y - (hi - x)
      if (lo !== 0) partials[i++] = lo
      x = hi
    }
    partials.length = i
    partials.push(x)
  }
  let n = partials.length
  if (n === 0) return 0
  let hi = partials[--n]!
  let lo = 0
  while (n > 0) {
    const x = hi
    const y = partials[--n]!
    hi = x + y
    lo = y - (hi - x)
    if (lo !== 0) break
  }
  // Half-way between two doubles: the partials below decide which way to round.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2
    const x = hi + y
    if (y === x - hi) hi = x
  }
  return hi
}

/** A UTF-16 code unit moved so that comparing units compares code points (UTF-8 byte order, SQLite's BINARY). */
function unit(s: string, i: number): number {
  const c = s.charCodeAt(i)
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c
}

/** Byte order of the strings' UTF-8 encoding (SQLite's BINARY collation, Postgres's "C"). */
export function byteOrder(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return x < 0xd800 && y < 0xd800 ? x - y : unit(a, i) - unit(b, i)
  }
  return a.length - b.length
}

const INTS = ['requests', 'errors', 'unpricedRequests', 'inputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens'] as const

function compareGroups(a: Group, b: Group): number {
  return byteOrder(a.provider, b.provider) || byteOrder(a.model, b.model) || byteOrder(a.task, b.task) || byteOrder(a.feature, b.feature)
}

/**
 * The rows summed per (provider, model, task, feature), in byte order of those: integer sums added (exact below
 * 2^53), float sums exact (`exactSum`). Each group a new object, its fields in the order of `Group`.
 */
export function groupRows(rows: readonly Group[]): Group[] {
  const sorted = [...rows].sort(compareGroups)
  const out: Group[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1
    while (j < sorted.length && compareGroups(sorted[i]!, sorted[j]!) === 0) j++
    const first = sorted[i]!
    const g: Group = {
      provider: first.provider, model: first.model, task: first.task, feature: first.feature,
      requests: first.requests, errors: first.errors, costUsd: first.costUsd, unpricedRequests: first.unpricedRequests,
      latencyMsSum: first.latencyMsSum, inputTokens: first.inputTokens, cachedInputTokens: first.cachedInputTokens,
      cacheWriteTokens: first.cacheWriteTokens, cacheWrite1hTokens: first.cacheWrite1hTokens, outputTokens: first.outputTokens,
    }
    if (j > i + 1) {
      const same = sorted.slice(i, j)
      for (const k of INTS) g[k] = same.reduce((n, r) => n + r[k], 0)
      g.costUsd = exactSum(same.map((r) => r.costUsd))
      g.latencyMsSum = exactSum(same.map((r) => r.latencyMsSum))
    }
    out.push(g)
    i = j
  }
  return out
}
