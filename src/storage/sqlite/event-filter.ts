import type { EventFilter } from '../events'

/** Conditions (all must hold) and their bound arguments, in order. */
export interface Where {
  sql: string[]
  args: (string | number)[]
}

const TEXT_FILTERS = ['provider', 'model', 'feature', 'task'] as const

/** Adds the text filters to `w` (they apply to `events` and to the roll-up tables alike). */
export function textWhere(f: EventFilter, w: Where): Where {
  for (const column of TEXT_FILTERS) {
    const value = f[column]
    if (value) (w.sql.push(`${column} = ?`), w.args.push(value))
  }
  return w
}

/** The filters as conditions on `events`, the same ones the Postgres store uses. */
export function filterWhere(f: EventFilter): Where {
  const w = textWhere(f, { sql: [], args: [] })
  if (f.status !== null) (w.sql.push('status = ?'), w.args.push(f.status))
  if (f.statusClass === 'ok') w.sql.push('status < 400')
  if (f.statusClass === 'error') w.sql.push('status >= 400')
  if (f.since !== null) (w.sql.push('time >= ?'), w.args.push(f.since))
  if (f.until !== null) (w.sql.push('time < ?'), w.args.push(f.until))
  return w
}

/** The filters as one expression: true for a matching row (`orElse` when there is no filter), so a step reads a fixed
 * number of rows whatever matches. */
export function matchExpression(f: EventFilter, orElse: string): { sql: string; args: (string | number)[] } {
  const w = filterWhere(f)
  return { sql: w.sql.length ? `(${w.sql.join(' AND ')})` : orElse, args: w.args }
}
