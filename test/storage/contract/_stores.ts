/**
 * The two stores the contract tests compare: SQLite (a file in a temporary directory) and Postgres (a database in a
 * throwaway cluster, one cluster per test file). Each `open()` is a fresh, empty, migrated database; `instance()`
 * is one more store on it (its own connection), as a second Lectr instance would have.
 */
import { expect } from 'bun:test'
import type { SQL } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/db/open'
import type { OrgRepository } from '../../../src/storage/orgs'
import { connectPostgres } from '../../../src/storage/postgres/connect'
import { migratePostgres } from '../../../src/storage/postgres/migrations'
import { PostgresOrgs } from '../../../src/storage/postgres/orgs'
import { PostgresSettings } from '../../../src/storage/postgres/settings'
import type { SettingsStore } from '../../../src/storage/settings'
import { SqliteOrgs } from '../../../src/storage/sqlite/orgs'
import { SqliteSettings } from '../../../src/storage/sqlite/settings'
import { createDatabase, startPostgres, type Postgres } from '../../helpers/postgres'

/** A clock the test moves (`tick`): both stores see the same times, whatever number of times they ask. */
export class TestClock {
  private ms = Date.UTC(2026, 0, 1)
  readonly now = () => new Date(this.ms)
  tick(ms = 1000): void {
    this.ms += ms
  }
}

export interface Instance {
  orgs: OrgRepository
  settings: SettingsStore
  /** what the store logged (an invalid stored override) */
  logged: string[]
}

export interface OpenDatabase {
  clock: TestClock
  /** one more store instance on this database, refreshed (its in-memory views read) */
  instance(): Promise<Instance>
  /** a statement run as-is on the database, for a row no store would write (a hand-edited database) */
  raw(statement: string): Promise<void>
  close(): Promise<void>
}

export interface StoreKind {
  name: 'sqlite' | 'postgres'
  open(): Promise<OpenDatabase>
}

export function sqliteKind(): StoreKind {
  return {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'lectr-contract-'))
      const path = join(dir, 'lectr.db')
      const clock = new TestClock()
      const dbs: ReturnType<typeof openDatabase>[] = []
      return {
        clock,
        async instance() {
          const db = openDatabase(path)
          dbs.push(db)
          const logged: string[] = []
          const log = (line: string) => void logged.push(line)
          return { orgs: new SqliteOrgs(db, clock.now), settings: new SqliteSettings(db, { clock: clock.now, log }), logged }
        },
        async raw(statement) {
          const db = openDatabase(path)
          db.exec(statement)
          db.close()
        },
        async close() {
          for (const db of dbs) db.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  }
}

/** Postgres kind over one cluster; `stop()` in afterAll. */
export function postgresKind(): StoreKind & { stop(): Promise<void> } {
  let pg: Postgres | null = null
  let databases = 0
  return {
    name: 'postgres',
    async open() {
      pg ??= await startPostgres()
      const url = await createDatabase(pg, `contract_${++databases}`)
      const clock = new TestClock()
      const pools: SQL[] = []
      const pool = () => {
        const sql = connectPostgres(url, { max: 4 })
        pools.push(sql)
        return sql
      }
      await migratePostgres(pool())
      return {
        clock,
        async instance() {
          const sql = pool()
          const logged: string[] = []
          const log = (line: string) => void logged.push(line)
          const orgs = new PostgresOrgs(sql, { clock: clock.now })
          const settings = new PostgresSettings(sql, { clock: clock.now, log })
          await Promise.all([orgs.refresh(), settings.refresh()])
          return { orgs, settings, logged }
        },
        async raw(statement) {
          await pools[0]!.unsafe(statement)
        },
        async close() {
          await Promise.all(pools.map((p) => p.close()))
        },
      }
    },
    async stop() {
      await pg?.stop()
      pg = null
    },
  }
}

/**
 * Replaces what is random in an answer (keys, ids, tokens, hashes) by a label given in order of first appearance,
 * so the answers of two stores compare equal when they agree on everything else.
 */
export function normalised(value: unknown): unknown {
  const labels = new Map<string, string>()
  const RANDOM = [
    /^lectr_(org|admin)_[A-Za-z0-9_-]+$/, // keys and tokens, and a key's display prefix
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, // key ids
    /^[0-9a-f]{64}$/, // hashes
    /^[A-Za-z0-9_-]{43}$/, // session ids and CSRF tokens
  ]
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!RANDOM.some((r) => r.test(v))) return v
      if (!labels.has(v)) labels.set(v, `<random ${labels.size + 1}>`)
      return labels.get(v)
    }
    if (Array.isArray(v)) return v.map(walk)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return walk(value)
}

/** An answer, or what was thrown (its class and message), so that refusals compare too. */
export async function outcome<T>(f: () => Promise<T>): Promise<T | { threw: string }> {
  try {
    return await f()
  } catch (err) {
    return { threw: err instanceof RangeError ? `RangeError: ${err.message}` : 'an error' }
  }
}

/**
 * Runs `script` on a fresh database of each kind and checks the (normalised) transcripts are equal; returns
 * SQLite's, for the test's own assertions on what the answers are.
 */
export async function sameAnswers(kinds: readonly StoreKind[], script: (db: OpenDatabase) => Promise<unknown>): Promise<unknown> {
  const transcripts: unknown[] = []
  for (const kind of kinds) {
    const db = await kind.open()
    try {
      transcripts.push(normalised(await script(db)))
    } finally {
      await db.close()
    }
  }
  // (kinds[0] is SQLite: every other store answers as it does)
  for (let i = 1; i < transcripts.length; i++) expect(transcripts[i]).toStrictEqual(transcripts[0])
  return transcripts[0]
}
