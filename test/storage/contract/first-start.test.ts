/**
 * Postgres only: instances starting together on one database print one default org key and one generated admin
 * token between them (SPEC section 10: "the default org and its printed key happen once per database"), and a
 * start that died before printing still gets its secret replaced at the next start, as on SQLite.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { hashSecret } from '../../../src/auth/secrets'
import { connectPostgres } from '../../../src/storage/postgres/connect'
import { migratePostgres } from '../../../src/storage/postgres/migrations'
import { PostgresOrgs } from '../../../src/storage/postgres/orgs'
import { PostgresSettings } from '../../../src/storage/postgres/settings'
import { createDatabase, startPostgres, type Postgres } from '../../helpers/postgres'

let pg: Postgres
let databases = 0
const pools: SQL[] = []
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  try {
    await Promise.all(pools.map((p) => p.close()))
  } finally {
    await pg.stop()
  }
})

async function freshDatabase(): Promise<string> {
  const url = await createDatabase(pg, `first_start_${++databases}`)
  const sql = connectPostgres(url, { max: 1 })
  await migratePostgres(sql)
  await sql.close()
  return url
}

/** One instance's stores, on its own pool (closing the pool is the instance dying). */
async function instance(url: string) {
  const sql = connectPostgres(url, { max: 4 })
  pools.push(sql)
  const orgs = new PostgresOrgs(sql)
  const settings = new PostgresSettings(sql)
  await Promise.all([orgs.refresh(), settings.refresh()])
  return { sql, orgs, settings }
}

describe('first start of several instances on one Postgres database', () => {
  test('three instances at once: one prints the default key, the others nothing; while it is not yet shown a later start leaves it alone', async () => {
    const url = await freshDatabase()
    const three = await Promise.all([instance(url), instance(url), instance(url)])
    const printed = await Promise.all(three.map((i) => i.orgs.ensureDefault()))
    const keys = printed.filter((k): k is string => k !== null)
    expect(keys).toHaveLength(1)
    const late = await instance(url)
    expect(await late.orgs.ensureDefault()).toBeNull()
    // the printed key is the one stored: every instance authenticates it once it has read the keys
    for (const i of [...three, late]) {
      await i.orgs.refresh()
      expect(i.orgs.inForce.authenticate(keys[0]!)).toBe('default')
    }
    expect(await late.orgs.listKeys('default')).toHaveLength(1)
    const printer = three[printed.indexOf(keys[0]!)]!
    await printer.orgs.markDefaultKeyShown()
    expect(await (await instance(url)).orgs.ensureDefault()).toBeNull()
  })

  test('the instance that made the default key dies before printing it: the next start replaces it (as on SQLite)', async () => {
    const url = await freshDatabase()
    const dying = await instance(url)
    const lost = await dying.orgs.ensureDefault()
    expect(lost).not.toBeNull()
    await dying.sql.close()
    const next = await instance(url)
    const replaced = await next.orgs.ensureDefault()
    expect(replaced).not.toBeNull()
    expect(replaced).not.toBe(lost)
    expect(next.orgs.inForce.authenticate(lost)).toBeNull()
    expect(next.orgs.inForce.authenticate(replaced)).toBe('default')
    expect(await next.orgs.listKeys('default')).toHaveLength(1)
  })

  test('three instances at once with no admin token configured: one generated token, printed once, in force on all', async () => {
    const url = await freshDatabase()
    const three = await Promise.all([instance(url), instance(url), instance(url)])
    const resolved = await Promise.all(three.map((i) => i.settings.adminToken.resolve(null)))
    const generated = resolved.map((r) => r.generated).filter((g): g is string => g !== null)
    expect(generated).toHaveLength(1)
    expect(resolved.map((r) => r.hash)).toEqual(Array(3).fill(hashSecret(generated[0]!)))
    const late = await instance(url)
    expect(await late.settings.adminToken.resolve(null)).toEqual({ hash: hashSecret(generated[0]!), generated: null })
  })

  test('the instance that generated the admin token dies before printing it: the next start generates another (as on SQLite)', async () => {
    const url = await freshDatabase()
    const dying = await instance(url)
    const lost = await dying.settings.adminToken.resolve(null)
    await dying.sql.close()
    const next = await instance(url)
    const again = await next.settings.adminToken.resolve(null)
    expect(again.generated).not.toBeNull()
    expect(again.generated).not.toBe(lost.generated)
    expect(await next.settings.adminToken.storedHash()).toBe(hashSecret(again.generated!))
    await next.settings.adminToken.markShown()
    expect(await (await instance(url)).settings.adminToken.resolve(null)).toEqual({ hash: again.hash, generated: null })
  })
})
