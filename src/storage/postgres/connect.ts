import { SQL } from 'bun'

export interface PostgresConnectOptions {
  /** connections in the pool (Bun's default is 10) */
  max?: number
  /** seconds to wait for a connection to open */
  connectionTimeout?: number
}

/** The database URL with any password replaced, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}

/**
 * A pool of connections to the database of a `postgres://` (or `postgresql://`) URL, through Bun's built-in client.
 * Throws at once for anything else: a mistyped URL must not become a connection attempt to some default database.
 * Nothing is sent until the first query.
 *
 * Bun returns `int8` (BIGINT, and COUNT and SUM over it) as strings; queries that read counts or times cast them
 * (`::float8`, exact below 2^53) or convert with `Number()`.
 */
export function connectPostgres(url: string, options: PostgresConnectOptions = {}): SQL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error('the database URL is not a URL: expected postgres://user:password@host:port/database')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`the database URL must start with postgres:// (got ${redactedUrl(url)})`)
  }
  return new SQL(url, {
    adapter: 'postgres',
    max: options.max ?? 10,
    connectionTimeout: options.connectionTimeout ?? 10,
    // Statement texts are few and fixed (the batch insert binds one array per column): prepared once per connection.
    prepare: true,
    connection: { application_name: 'lectr' },
  })
}
