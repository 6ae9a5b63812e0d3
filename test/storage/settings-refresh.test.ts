/**
 * The contract issue 20 reuses across machines: what one store instance writes, another instance of the same
 * database puts in force once it refreshes. Two SQLite stores on one file stand for two Lectr instances: a key
 * created, a key revoked, an Azure change, a routing change and a price override, made through the second, are
 * seen by the first's in-memory answers (and by its proxy, over real sockets) after `refresh()`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import { openSqliteStorage, refreshInForce, type Storage } from '../../src/storage'
import type { Rule } from '../../src/routing/schema'
import { chatJson, FakeUpstream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { echoModel, eventOf, USAGE } from '../routing/_setup'

const TO_MINI: Rule = { id: 'to-mini', enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }
/** An override far from gpt-4o-mini's listed price: USAGE (1000 in, 500 out) costs (1000·100 + 500·200) / 1e6 = 0.2. */
const PRICE = { input: 100, output: 200 }
const OVERRIDE_COST = 0.2

/** A second instance's store on the database file at `path` (its own connection). */
function secondStore(path: string): { storage: Storage; close(): void } {
  const db = openDatabase(path)
  return { storage: openSqliteStorage(db, { log: () => {} }), close: () => db.close() }
}

describe('two stores on one database', () => {
  let dir: string
  let path: string
  let first: Storage
  let second: ReturnType<typeof secondStore>
  let closeFirst: () => void

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lectr-storage-'))
    path = join(dir, 'lectr.db')
    const db = openDatabase(path)
    first = openSqliteStorage(db, { log: () => {} })
    closeFirst = () => db.close()
    await first.orgs.ensureDefault()
    second = secondStore(path)
  })
  afterAll(() => {
    second.close()
    closeFirst()
    rmSync(dir, { recursive: true, force: true })
  })

  test('what the second writes is in force in the first after its refresh, not before', async () => {
    const stillThere = await first.orgs.addKey('default', 'kept')
    const created = await second.storage.orgs.addKey('default', 'made elsewhere')
    expect(await second.storage.orgs.revokeKey('default', stillThere.keyId)).toBe(true)
    await second.storage.orgs.putAzure('default', 'https://elsewhere.openai.azure.com', 'v1')
    await second.storage.settings.routing.save('default', [TO_MINI])
    await second.storage.settings.priceOverrides.put('openai', 'gpt-4o-mini', PRICE)

    // Before: the first answers from what it read itself.
    expect(first.orgs.inForce.authenticate(created.key)).toBeNull()
    expect(first.orgs.inForce.authenticate(stillThere.key)).toBe('default')
    expect(first.orgs.inForce.getAzure('default')).toBeNull()
    expect(first.settings.routing.inForce.rulesOf('default')).toBeNull()
    expect(first.settings.priceOverrides.inForce.current()).toEqual([])

    await refreshInForce(first)

    expect(first.orgs.inForce.authenticate(created.key)).toBe('default')
    expect(first.orgs.inForce.authenticate(stillThere.key)).toBeNull()
    expect(first.orgs.inForce.getAzure('default')).toMatchObject({ endpoint: 'https://elsewhere.openai.azure.com', apiVersion: 'v1' })
    expect(first.settings.routing.inForce.rulesOf('default')).toEqual([TO_MINI])
    expect(first.settings.priceOverrides.inForce.current()).toMatchObject([{ provider: 'openai', model: 'gpt-4o-mini', price: PRICE }])
    // and the repositories read the same from either instance
    expect(await first.orgs.listKeys('default')).toEqual(await second.storage.orgs.listKeys('default'))
  })

  test('an Azure removal and a restored routing version made elsewhere also hold after refresh', async () => {
    await second.storage.orgs.deleteAzure('default')
    await second.storage.settings.routing.save('default', [])
    await refreshInForce(first)
    expect(first.orgs.inForce.getAzure('default')).toBeNull()
    expect(first.settings.routing.inForce.rulesOf('default')).toBeNull()
    const restored = await second.storage.settings.routing.restore('default', 1)
    expect(restored?.version).toBe(3)
    await refreshInForce(first)
    expect(first.settings.routing.inForce.rulesOf('default')).toEqual([TO_MINI])
    await second.storage.settings.priceOverrides.remove('openai', 'gpt-4o-mini')
    await refreshInForce(first)
    expect(first.settings.priceOverrides.inForce.current()).toEqual([])
  })
})

describe('a running Lectr and a second store on its database', () => {
  let openai: FakeUpstream
  let azure: FakeUpstream
  let lectr: TestLectr
  let second: ReturnType<typeof secondStore>
  let orgKey = ''

  beforeAll(async () => {
    openai = new FakeUpstream()
    openai.script = echoModel()
    azure = new FakeUpstream()
    azure.script = () => chatJson({ model: 'gpt-4o-mini', usage: USAGE })
    lectr = await startLectr(openai)
    second = secondStore(lectr.dbPath)
  })
  afterAll(async () => {
    second.close()
    await lectr.stop()
    openai.stop()
    azure.stop()
  })

  const chat = (orgKey: string, model: string, headers: Record<string, string> = {}) =>
    fetch(`${lectr.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client-key-0123', 'x-lectr-key': orgKey, ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    })

  test('the proxy takes a new key, refuses a revoked one, and uses the Azure settings, rules and prices set elsewhere', async () => {
    const [firstKey] = await second.storage.orgs.listKeys('default')
    const created = await second.storage.orgs.addKey('default', 'made elsewhere')
    orgKey = created.key
    expect(await second.storage.orgs.revokeKey('default', firstKey!.id)).toBe(true)
    await second.storage.orgs.putAzure('default', azure.origin, 'v1')
    await second.storage.settings.routing.save('default', [TO_MINI])
    await second.storage.settings.priceOverrides.put('openai', 'gpt-4o-mini', PRICE)

    await refreshInForce(lectr.running.storage)

    const revoked = await chat(lectr.orgKey, 'gpt-4o')
    expect(revoked.status).toBe(401)
    expect(((await revoked.json()) as any).error.code).toBe('lectr_invalid_org_key')

    const routed = await chat(created.key, 'gpt-4o')
    expect(routed.status).toBe(200)
    expect(JSON.parse(openai.received.at(-1)!.body).model).toBe('gpt-4o-mini')
    const e = eventOf(lectr, routed)
    expect(e).toMatchObject({ org_id: 'default', rule_id: 'to-mini', cost_usd: OVERRIDE_COST })
    expect(e.registry_version).toContain('+overrides-')

    const viaAzure = await chat(created.key, 'my-deployment', { 'x-lectr-provider': 'azure' })
    expect(viaAzure.status).toBe(200)
    expect(azure.received.at(-1)!.url.pathname).toBe('/openai/v1/chat/completions')
  })

  test('without an explicit refresh, the running Lectr notices another connection\'s commit and refreshes itself', async () => {
    expect(orgKey).not.toBe('')
    await second.storage.settings.routing.save('default', [])
    await second.storage.orgs.deleteAzure('default')
    const sentAs = await eventually(async () => {
      const res = await chat(orgKey, 'gpt-4o')
      return res.status === 200 && JSON.parse(openai.received.at(-1)!.body).model === 'gpt-4o' ? 'as sent' : null
    })
    expect(sentAs).toBe('as sent')
    const viaAzure = await chat(orgKey, 'my-deployment', { 'x-lectr-provider': 'azure' })
    expect(viaAzure.status).toBe(400)
    expect(((await viaAzure.json()) as any).error.code).toBe('lectr_azure_not_configured')
  })
})
