import type { EventFilter } from '../events'
import { storableText } from './event-batch'

/** Numbered parameters ($1, $2, …) of one statement, in the order they are added. */
export class Params {
  readonly values: unknown[] = []

  /** Adds a value; returns its placeholder. A string is sent as stored (U+0000 as U+FFFD, see `storableText`). */
  add(value: string | number): string {
    this.values.push(typeof value === 'string' ? storableText(value) : value)
    return `$${this.values.length}`
  }
}

const TEXT_FILTERS = ['provider', 'model', 'feature', 'task'] as const

/** The filters as conditions on `events` (all must hold), the same ones SQLite's stores use. */
export function filterConditions(f: EventFilter, p: Params): string[] {
  const sql: string[] = []
  for (const column of TEXT_FILTERS) {
    const value = f[column]
    if (value) sql.push(`${column} = ${p.add(value)}`)
  }
  if (f.status !== null) sql.push(`status = ${p.add(f.status)}`)
  if (f.statusClass === 'ok') sql.push('status < 400')
  if (f.statusClass === 'error') sql.push('status >= 400')
  if (f.since !== null) sql.push(`time >= ${p.add(f.since)}`)
  if (f.until !== null) sql.push(`time < ${p.add(f.until)}`)
  return sql
}

/** The text filters as conditions on a roll-up table (which stores a missing model, feature or task as ''). */
export function rollupFilterConditions(f: EventFilter, p: Params): string[] {
  const sql: string[] = []
  for (const column of TEXT_FILTERS) {
    const value = f[column]
    if (value) sql.push(`${column} = ${p.add(value)}`)
  }
  return sql
}

/** The filters as one boolean expression: true for a matching row, so a step reads a fixed number of rows. */
export function matchExpression(f: EventFilter, p: Params): string {
  const sql = filterConditions(f, p)
  return sql.length ? `(${sql.join(' AND ')})` : 'TRUE'
}
