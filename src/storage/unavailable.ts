import { postgresFailure } from './postgres/errors'

/**
 * True when a read or write failed because the database cannot be reached now (Postgres stopped, restarting, out of
 * connections): the admin API and the dashboard answer 503 rather than 500, at once, and the proxy goes on from memory.
 * SQLite, a file of this process, has no such state.
 */
export function storageUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  const errno = (err as { errno?: unknown } | null)?.errno
  // Only Postgres's errors carry these (Bun's ERR_POSTGRES_* codes, or a SQLSTATE string): a SQLite error never does.
  const fromPostgres = (typeof code === 'string' && code.startsWith('ERR_POSTGRES')) || typeof errno === 'string'
  return fromPostgres && postgresFailure(err) === 'unavailable'
}
