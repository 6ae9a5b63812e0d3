import { resolve } from 'node:path'
import { databaseUrlProblem, redactDatabaseUrl } from '../config'
import { openExistingDatabase } from './database'
import { parseCliOptions } from './options'
import { connectPostgres } from '../storage/postgres/connect'
import { copySqliteToPostgres, TargetNotEmpty } from '../storage/postgres/copy-from-sqlite'

const USAGE = 'usage: lectr migrate-to-postgres --db lectr.db --database-url postgres://user:password@host:port/database'

/**
 * `lectr migrate-to-postgres`: copies a SQLite database (stop the server that uses it first) into an empty Postgres
 * database, creating its schema. Exit 0 when copied, 2 for a wrong invocation or a target that holds Lectr data, 1
 * when the copy failed (nothing of it is left in the target).
 */
export async function migrateToPostgresCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const opts = parseCliOptions(args, env, ['db', 'database-url'])
  if (!opts.ok || opts.positional.length) {
    console.error(`lectr migrate-to-postgres: ${!opts.ok ? opts.problem : `unexpected argument ${opts.positional[0]}`}\n${USAGE}`)
    return 2
  }
  const url = opts.values['database-url'] ?? env.LECTR_DATABASE_URL
  if (!url) {
    console.error(`lectr migrate-to-postgres: --database-url (or LECTR_DATABASE_URL) is required\n${USAGE}`)
    return 2
  }
  const urlProblem = databaseUrlProblem(url)
  if (urlProblem) {
    console.error(`lectr migrate-to-postgres: --database-url: ${urlProblem}`)
    return 2
  }
  const where = redactDatabaseUrl(url)
  const password = decodeURIComponent(new URL(url).password)
  const clean = (message: string) => (password ? message.replaceAll(password, '***') : message).split('\n')[0]
  let db
  try {
    db = openExistingDatabase(opts.values.db!)
  } catch (err) {
    console.error(`lectr migrate-to-postgres: ${(err as Error).message}`)
    return 2
  }
  const sql = connectPostgres(url, { max: 2 })
  try {
    console.log(`lectr: copying ${resolve(opts.values.db!)} into ${where}`)
    const started = Date.now()
    const copied = await copySqliteToPostgres(db, sql, { progress: (t) => console.log(`  ${t.table}: ${t.rows} rows`) })
    const total = copied.reduce((n, t) => n + t.rows, 0)
    console.log(`lectr: copied ${copied.length} tables, ${total} rows, in ${((Date.now() - started) / 1000).toFixed(1)} s; start Lectr with --database-url`)
    return 0
  } catch (err) {
    if (err instanceof TargetNotEmpty) {
      console.error(`lectr migrate-to-postgres: ${err.message}; nothing was copied`)
      return 2
    }
    console.error(`lectr migrate-to-postgres: the copy failed and nothing of it was kept in ${where}: ${clean((err as Error).message)}`)
    return 1
  } finally {
    db.close()
    await sql.close({ timeout: 5 })
  }
}
