import { openExistingDatabase } from './database'
import { parseCliOptions } from './options'
import { SqliteAdminToken } from '../storage/sqlite/admin-token'

const USAGE = 'usage: lectr admin-token reset [--db FILE]'

/**
 * `lectr admin-token reset`: a lost admin token replaced from a shell. The token alone goes to stdout (for a
 * script); what it means goes to stderr. A running server takes it within about a second (src/db/external-writes.ts).
 */
export async function adminTokenCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args[0] !== 'reset') {
    console.error(USAGE)
    return 2
  }
  const opts = parseCliOptions(args.slice(1), env, ['db'])
  if (!opts.ok || opts.positional.length) {
    console.error(`lectr admin-token reset: ${opts.ok ? `unexpected argument ${opts.positional[0]}` : opts.problem}\n${USAGE}`)
    return 2
  }
  let token: string
  try {
    const db = openExistingDatabase(opts.values.db!)
    try {
      token = await new SqliteAdminToken(db).reset()
    } finally {
      db.close()
    }
  } catch (err) {
    console.error(`lectr admin-token reset: ${(err as Error).message}`)
    return 1
  }
  console.error('lectr: new admin token (shown once, stored hashed; the old one no longer works, dashboard sessions end):')
  console.log(token)
  if (env.LECTR_ADMIN_TOKEN) {
    console.error('lectr: note: LECTR_ADMIN_TOKEN is set here; if the server is started with it, that token replaces this one at its next start. Remove it from the service environment to keep this one.')
  } else {
    console.error('lectr: note: a server started with LECTR_ADMIN_TOKEN or --admin-token replaces this token at its next start.')
  }
  return 0
}
