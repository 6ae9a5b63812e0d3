/**
 * Change propagation between two instances on one Postgres database (SPEC section 10: in force everywhere within
 * 2 s of the answer): what the second writes (a key created or revoked, Azure settings saved or removed, a routing
 * version saved or restored, a price override, a new admin token) reaches the first's in-memory views through
 * followChanges: by NOTIFY, and by the 1 s version poll when a notification is lost (the listening connection
 * cut with pg_terminate_backend, or a change that sent none).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { hashSecret } from '../../../src/auth/secrets'
import type { Rule } from '../../../src/routing/schema'
import type { ChangeWatch } from '../../../src/storage/postgres/changes'
import { connectPostgres } from '../../../src/storage/postgres/connect'
import { followChanges } from '../../../src/storage/postgres/follow-changes'
import { migratePostgres } from '../../../src/storage/postgres/migrations'
import { PostgresOrgs } from '../../../src/storage/postgres/orgs'
import { PostgresSettings } from '../../../src/storage/postgres/settings'
import { createDatabase, startPostgres, type Postgres } from '../../helpers/postgres'

const TO_MINI: Rule = { id: 'to-mini', enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }
const WITHIN_MS = 2000

interface Instance {
  sql: SQL
  orgs: PostgresOrgs
  settings: PostgresSettings
}

let pg: Postgres
let first: Instance
let second: Instance
let watch: ChangeWatch
let firstAdminHash: string | null = null
const problems: string[] = []

async function instance(url: string): Promise<Instance> {
  const sql = connectPostgres(url, { max: 4 })
  const orgs = new PostgresOrgs(sql)
  const settings = new PostgresSettings(sql, { log: () => {} })
  await Promise.all([orgs.refresh(), settings.refresh()])
  return { sql, orgs, settings }
}

/** Polls `check` until it holds; fails when it still does not WITHIN_MS after the call (the write's answer). */
async function inForceWithin(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WITHIN_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not in force on the other instance within ${WITHIN_MS} ms`)
    await Bun.sleep(20)
  }
}

beforeAll(async () => {
  pg = await startPostgres()
  const url = await createDatabase(pg, 'propagation')
  const setup = connectPostgres(url, { max: 1 })
  await migratePostgres(setup)
  await setup.close()
  first = await instance(url)
  second = await instance(url)
  await first.orgs.ensureDefault()
  firstAdminHash = await first.settings.adminToken.storedHash()
  watch = followChanges(first.sql, first, { log: (line) => problems.push(line), adminTokenChanged: (hash) => (firstAdminHash = hash) })
  await watch.ready
})
afterAll(async () => {
  try {
    await watch?.stop()
    await Promise.all([first?.sql.close(), second?.sql.close()])
  } finally {
    await pg.stop()
  }
})

describe('two instances on one Postgres database', () => {
  test('a key created and revoked, Azure set and removed, routing saved and restored, an override, a new admin token: each in force on the other within 2 s', async () => {
    const made = await second.orgs.addKey('default', 'elsewhere')
    await inForceWithin('a new key', () => first.orgs.inForce.authenticate(made.key) === 'default')

    expect(await second.orgs.revokeKey('default', made.keyId)).toBe(true)
    await inForceWithin('a revocation', () => first.orgs.inForce.authenticate(made.key) === null)

    await second.orgs.putAzure('default', 'https://elsewhere.openai.azure.com', 'v1')
    await inForceWithin('Azure settings', () => first.orgs.inForce.getAzure('default')?.endpoint === 'https://elsewhere.openai.azure.com')
    await second.orgs.deleteAzure('default')
    await inForceWithin('Azure removed', () => first.orgs.inForce.getAzure('default') === null)

    await second.settings.routing.save('default', [TO_MINI])
    await inForceWithin('a routing version', () => first.settings.routing.inForce.rulesOf('default')?.[0]?.id === 'to-mini')
    await second.settings.routing.save('default', [])
    await inForceWithin('an empty routing version', () => first.settings.routing.inForce.rulesOf('default') === null)
    await second.settings.routing.restore('default', 1)
    await inForceWithin('a restored routing version', () => first.settings.routing.inForce.rulesOf('default')?.[0]?.id === 'to-mini')

    await second.settings.priceOverrides.put('openai', 'gpt-4o-mini', { input: 100, output: 200 })
    await inForceWithin('a price override', () => first.settings.priceOverrides.inForce.current().some((o) => o.model === 'gpt-4o-mini' && o.price.input === 100))
    await second.settings.priceOverrides.remove('openai', 'gpt-4o-mini')
    await inForceWithin('an override removed', () => first.settings.priceOverrides.inForce.current().length === 0)

    const token = await second.settings.adminToken.reset()
    await inForceWithin('a new admin token', () => firstAdminHash === hashSecret(token))

    const org = await second.orgs.create('Acme')
    await inForceWithin("a new org's first key", () => first.orgs.inForce.authenticate(org!.key) === 'acme')
    expect(problems).toEqual([])
  })

  test('after the listening connection is cut, a change is still in force within 2 s (the poll, or the re-LISTEN)', async () => {
    const cut = await second.sql`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
      WHERE pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'`
    expect(cut.length).toBe(1)
    // Sent at once, while the listener is down or reconnecting: its notification may well be lost.
    const made = await second.orgs.addKey('default', 'while cut')
    await inForceWithin('a key made while the listener was cut', () => first.orgs.inForce.authenticate(made.key) === 'default')
    const revoked = await second.orgs.revokeKey('default', made.keyId)
    expect(revoked).toBe(true)
    await inForceWithin('a revocation after the cut', () => first.orgs.inForce.authenticate(made.key) === null)
    await second.settings.routing.save('default', [{ ...TO_MINI, id: 'after-cut' }])
    await inForceWithin('routing after the cut', () => first.settings.routing.inForce.rulesOf('default')?.[0]?.id === 'after-cut')
  })

  test('a change whose notification never comes (the version bumped, no NOTIFY) is caught by the poll within 2 s', async () => {
    const key = 'lectr_org_written-by-hand-without-a-notification'
    await second.sql.begin(async (tx) => {
      await tx`INSERT INTO org_keys (id, org_id, prefix, hash, label, created_at)
        VALUES ('by-hand', 'default', 'lectr_org_writte', ${hashSecret(key)}, null, '2026-01-01T00:00:00.000Z')`
      await tx`UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'change_version'`
    })
    await inForceWithin('a key with no notification', () => first.orgs.inForce.authenticate(key) === 'default')
  })

  test('Postgres away for a while: keys keep working from memory; once it is back a change is in force within 2 s', async () => {
    const kept = await second.orgs.addKey('default', 'before the outage')
    await inForceWithin('a key before the outage', () => first.orgs.inForce.authenticate(kept.key) === 'default')
    await pg.halt('fast')
    await Bun.sleep(1500) // polls and re-listens fail meanwhile
    expect(first.orgs.inForce.authenticate(kept.key)).toBe('default')
    await pg.resume()
    const made = await second.orgs.addKey('default', 'after the outage')
    await inForceWithin('a key after the outage', () => first.orgs.inForce.authenticate(made.key) === 'default')
    await second.orgs.revokeKey('default', kept.keyId)
    await inForceWithin('a revocation after the outage', () => first.orgs.inForce.authenticate(kept.key) === null)
  })

  test('stopped, the watch reads nothing more', async () => {
    const url = pg.url.replace(/\/postgres$/, '/propagation')
    const third = await instance(url)
    let calls = 0
    const w = followChanges(third.sql, third, { pollMs: 50, adminTokenChanged: () => calls++ })
    await w.ready
    await inForceWithin('the first read', () => calls > 0)
    await w.stop()
    const after = calls
    await second.settings.adminToken.reset()
    await Bun.sleep(300)
    expect(calls).toBe(after)
    await third.sql.close()
  })
})
