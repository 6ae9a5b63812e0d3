/**
 * What a failed statement means for whoever must decide between waiting, retrying and giving up (the event writer
 * above all, which must never drop an event because the database was away):
 * - `unavailable`: the database cannot be used now (no server, connection lost or refused, shutting down, too many
 *   connections, login refused, out of disk): keep the work, report `degraded`, try again later.
 * - `conflict`: the transaction lost a race (deadlock, serialization): run it again now.
 * - `no-partition`: an event's day has no partition (dropped by retention elsewhere, or never made): ensure it, retry.
 * - `rejected`: the statement or its data is wrong; retrying the same thing fails the same way.
 */
export type PostgresFailure = 'unavailable' | 'conflict' | 'no-partition' | 'rejected'

/** SQLSTATE classes and codes after which the same statement may succeed once the server is back or has room. */
const UNAVAILABLE_CLASSES = new Set(['08', '28', '53', '57', '58'])
const UNAVAILABLE_CODES = new Set(['3D000']) // the database does not exist (yet): a setup problem, not the data's

export function postgresFailure(err: unknown): PostgresFailure {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null
  const code = typeof e?.code === 'string' ? e.code : ''
  const state = typeof e?.errno === 'string' ? e.errno : ''
  // Bun's own codes when no server answered: ERR_POSTGRES_CONNECTION_REFUSED / _CLOSED / _FAILED, the timeouts.
  if (code.startsWith('ERR_POSTGRES_CONNECTION') || /^ERR_POSTGRES_.*TIMEOUT$/.test(code) || code.startsWith('ERR_POSTGRES_TLS')) {
    return 'unavailable'
  }
  if (state === '40001' || state === '40P01') return 'conflict'
  if (state === '23514' && typeof e?.message === 'string' && e.message.startsWith('no partition of relation')) return 'no-partition'
  if (UNAVAILABLE_CLASSES.has(state.slice(0, 2)) || UNAVAILABLE_CODES.has(state)) return 'unavailable'
  return 'rejected'
}
