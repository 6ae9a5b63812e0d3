import { Database } from 'bun:sqlite'
import { chmodSync, existsSync, linkSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { parseCliOptions } from './options'

const USAGE = 'usage: lectr backup FILE [--db FILE]'

export type BackupResult = { ok: true; bytes: number; events: number } | { ok: false; problem: string }

/**
 * A consistent copy of the database, safe while the server writes: `VACUUM INTO` reads one snapshot (WAL mode lets
 * the writer go on) and writes one complete file, with no -wal beside it. It goes to a temporary name in the
 * target's directory, is checked, and only then takes the target's name; an existing file is never replaced.
 */
export function backupDatabase(source: string, target: string): BackupResult {
  const from = resolve(source)
  const to = resolve(target)
  if (!existsSync(from)) return { ok: false, problem: `there is no database at ${from}: give the path the server uses (--db or LECTR_DB)` }
  if (existsSync(to)) return { ok: false, problem: `${to} exists already; a backup never replaces a file: choose a new name` }
  if (!statSync(dirname(to), { throwIfNoEntry: false })?.isDirectory()) return { ok: false, problem: `the directory ${dirname(to)} does not exist` }
  const temp = join(dirname(to), `.${basename(to)}.${process.pid}.${Date.now()}.partial`)
  try {
    // Read-write (it writes nothing) so that, when the server is stopped, closing removes the -wal and -shm it opened.
    const db = new Database(from, { readwrite: true, create: false })
    try {
      db.exec('PRAGMA busy_timeout = 10000')
      db.query('VACUUM INTO ?').run(temp)
    } finally {
      db.close()
    }
    const copy = new Database(temp, { readonly: true })
    let events: number
    try {
      const check = (copy.query('PRAGMA quick_check').all() as { quick_check: string }[]).map((r) => r.quick_check)
      if (check.join() !== 'ok') return { ok: false, problem: `the copy failed its check: ${check.slice(0, 3).join('; ')}` }
      events = (copy.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
    } finally {
      copy.close()
    }
    // The copy holds the whole event log: readable by its owner only.
    chmodSync(temp, 0o600)
    // A hard link fails when the name is taken, where rename would replace a file made meanwhile.
    try {
      linkSync(temp, to)
    } catch (err) {
      // Some filesystems (FAT, a few network mounts) have no hard links: the name was free a moment ago.
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((err as { code?: string }).code ?? '') || existsSync(to)) throw err
      renameSync(temp, to)
    }
    return { ok: true, bytes: statSync(to).size, events }
  } catch (err) {
    const e = err as Error & { code?: string }
    return { ok: false, problem: e.code === 'EEXIST' ? `${to} appeared while the backup ran; it was left as it is` : e.message }
  } finally {
    rmSync(temp, { force: true })
  }
}

/** `lectr backup FILE`. */
export function backupCommand(args: string[], env: Record<string, string | undefined>): number {
  const opts = parseCliOptions(args, env, ['db'])
  if (!opts.ok || opts.positional.length !== 1) {
    console.error(`lectr backup: ${opts.ok ? 'give one FILE to write' : opts.problem}\n${USAGE}`)
    return 2
  }
  const r = backupDatabase(opts.values.db!, opts.positional[0]!)
  if (!r.ok) {
    console.error(`lectr backup: ${r.problem}`)
    return 1
  }
  console.log(`lectr: backup of ${resolve(opts.values.db!)} written to ${resolve(opts.positional[0]!)} (${r.bytes} bytes, ${r.events} events, check ok)`)
  return 0
}
