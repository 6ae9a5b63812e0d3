import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import { MIGRATIONS } from '../../src/db/migrations'
// the CLI runs in a child process while this process's server goes on serving
import { runCli as cli } from '../helpers/cli'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const countEvents = (path: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return (db.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
  } finally {
    db.close()
  }
}

describe('lectr backup', () => {
  test('a backup taken under load is one complete file that passes integrity_check and holds every event written before it', async () => {
    const send = () => lectr.post('chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).then((r) => r.arrayBuffer())
    for (let i = 0; i < 50; i++) await send()
    lectr.running.writer.flush()
    const before = countEvents(lectr.dbPath)
    expect(before).toBe(50)
    // Traffic goes on, eight requests at a time, for the whole backup.
    let load = true
    let sent = 0
    const loops = Array.from({ length: 8 }, async () => {
      while (load) (await send(), sent++)
    })
    const file = join(lectr.dir, 'backup.db')
    const r = await cli(['backup', file, '--db', lectr.dbPath])
    load = false
    await Promise.all(loops)
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toContain('check ok')
    expect(sent).toBeGreaterThan(0)
    // One file: no -wal beside it is needed, and no partial file is left.
    expect(readdirSync(lectr.dir).filter((f) => f.startsWith('.backup.db') || f.startsWith('backup.db-'))).toEqual([])
    const copy = new Database(file, { readonly: true })
    try {
      expect(copy.query('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }])
      expect((copy.query('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(MIGRATIONS.length)
      const n = (copy.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
      expect(n).toBeGreaterThanOrEqual(before)
      expect(copy.query("SELECT id FROM orgs WHERE id = 'default'").get()).toEqual({ id: 'default' })
    } finally {
      copy.close()
    }
    // The copy opens in Lectr as a database (the restore path): schema current, nothing to migrate.
    const restored = openDatabase(file)
    restored.close()
  })

  test('never replaces an existing file; a missing database or a missing FILE is a plain error', async () => {
    const file = join(lectr.dir, 'taken.db')
    writeFileSync(file, 'precious')
    const r = await cli(['backup', file, '--db', lectr.dbPath])
    expect(r.code).toBe(1)
    expect(r.err).toContain('exists already')
    expect(readFileSync(file, 'utf8')).toBe('precious')
    const missing = await cli(['backup', join(lectr.dir, 'x.db')], { LECTR_DB: join(lectr.dir, 'nope.db') })
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('no database at')
    expect(readdirSync(lectr.dir)).not.toContain('x.db')
    expect(readdirSync(lectr.dir)).not.toContain('nope.db')
    const usage = await cli(['backup'])
    expect(usage.code).toBe(2)
    expect(usage.err).toContain('usage: lectr backup FILE')
  })
})

describe('a database from a newer Lectr', () => {
  test('is refused with a plain message, exit 2, and left byte for byte as it was', async () => {
    const path = join(lectr.dir, 'newer.db')
    openDatabase(path).close()
    const db = new Database(path)
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 5}`)
    db.exec('PRAGMA journal_mode = DELETE')
    db.close()
    const bytes = readFileSync(path)
    const r = await cli(['--db', path, '--port', '0', '--host', '127.0.0.1'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('written by a newer Lectr')
    expect(r.err).not.toContain('    at ')
    expect(readFileSync(path).equals(bytes)).toBe(true)
    const keys = await cli(['keys', 'create', '--org', 'default', '--db', path])
    expect(keys.code).toBe(1)
    expect(keys.err).toContain('written by a newer Lectr')
    expect(readFileSync(path).equals(bytes)).toBe(true)
  })
})
