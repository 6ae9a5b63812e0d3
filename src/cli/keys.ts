import { LIMITS } from '../limits'
import { openExistingDatabase } from './database'
import { parseCliOptions } from './options'
import { SqliteOrgs } from '../storage/sqlite/orgs'

const USAGE = 'usage: lectr keys create --org ORG [--label LABEL] [--db FILE]'

/**
 * `lectr keys create --org ORG`: a new key for an org (its id or its name), from a shell. The key alone goes to
 * stdout; a running server accepts it within about a second (src/db/external-writes.ts).
 */
export async function keysCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (args[0] !== 'create') {
    console.error(USAGE)
    return 2
  }
  const opts = parseCliOptions(args.slice(1), env, ['org', 'label', 'db'])
  if (!opts.ok || opts.positional.length || !opts.values.org) {
    console.error(`lectr keys create: ${!opts.ok ? opts.problem : opts.positional.length ? `unexpected argument ${opts.positional[0]}` : '--org is required'}\n${USAGE}`)
    return 2
  }
  const label = opts.values.label ?? 'lectr keys create'
  if (label.length > LIMITS.keyLabel) {
    console.error(`lectr keys create: --label is longer than ${LIMITS.keyLabel} characters`)
    return 2
  }
  try {
    const db = openExistingDatabase(opts.values.db!)
    try {
      const orgs = new SqliteOrgs(db)
      const wanted = opts.values.org
      const org = (await orgs.get(wanted)) ?? (await orgs.list()).find((o) => o.name === wanted) ?? null
      if (!org) {
        const known = (await orgs.list()).map((o) => o.id)
        console.error(`lectr keys create: no org "${wanted}"; the orgs are: ${known.length ? known.join(', ') : '(none yet)'}`)
        return 1
      }
      const k = await orgs.addKey(org.id, label)
      console.error(`lectr: new key for org "${org.id}" (id ${k.keyId}, label "${label}"; shown once, stored hashed):`)
      console.log(k.key)
      return 0
    } finally {
      db.close()
    }
  } catch (err) {
    console.error(`lectr keys create: ${(err as Error).message}`)
    return 1
  }
}
