/**
 * OrgRepository's contract: every case runs on SQLite and on Postgres and the answers (random keys and ids aside)
 * must be equal; each case also asserts what the answers are. Includes two instances on one database racing.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { outcome, postgresKind, sameAnswers, sqliteKind } from './_stores'

const postgres = postgresKind()
const KINDS = [sqliteKind(), postgres]
afterAll(() => postgres.stop())

describe('OrgRepository: same answers from SQLite and Postgres', () => {
  test('create, list and get; a taken slug, an empty slug and an over-long name are refused as before', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const s = await db.instance()
      const acme = await s.orgs.create('Acme Corp')
      db.clock.tick()
      const beta = await s.orgs.create('beta')
      return {
        acme,
        beta,
        again: await s.orgs.create('Acme Corp'),
        sameSlug: await s.orgs.create('ACME  corp!'),
        emptySlug: await s.orgs.create('!!!'),
        tooLong: await outcome(() => s.orgs.create('x'.repeat(10_000))),
        list: await s.orgs.list(),
        get: await s.orgs.get('acme-corp'),
        missing: await s.orgs.get('nope'),
        keyWorks: s.orgs.inForce.authenticate(acme!.key),
        keys: await s.orgs.listKeys('acme-corp'),
      }
    })) as Record<string, any>
    expect(t.acme.org).toEqual({ id: 'acme-corp', name: 'Acme Corp', createdAt: '2026-01-01T00:00:00.000Z' })
    expect([t.again, t.sameSlug, t.emptySlug]).toEqual([null, null, null])
    expect(t.tooLong.threw).toStartWith('RangeError')
    expect(t.list.map((o: { id: string }) => o.id)).toEqual(['acme-corp', 'beta'])
    expect(t.missing).toBeNull()
    expect(t.keyWorks).toBe('acme-corp')
    expect(t.keys).toHaveLength(1)
    expect(t.keys[0].label).toBe('first key')
  })

  test('ensureDefault: a key on first start, replaced while never shown, none once shown', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const s = await db.instance()
      const first = await s.orgs.ensureDefault()
      db.clock.tick()
      const replaced = await s.orgs.ensureDefault()
      await s.orgs.markDefaultKeyShown()
      const afterShown = await s.orgs.ensureDefault()
      return {
        first,
        replaced,
        afterShown,
        firstWorks: s.orgs.inForce.authenticate(first),
        replacedWorks: s.orgs.inForce.authenticate(replaced),
        keys: await s.orgs.listKeys('default'),
        orgs: await s.orgs.list(),
      }
    })) as Record<string, any>
    expect(typeof t.first).toBe('string')
    expect(t.replaced).not.toBe(t.first)
    expect(t.afterShown).toBeNull()
    expect(t.firstWorks).toBeNull()
    expect(t.replacedWorks).toBe('default')
    expect(t.keys).toHaveLength(1)
    expect(t.orgs).toEqual([{ id: 'default', name: 'default', createdAt: '2026-01-01T00:00:00.000Z' }])
  })

  test('keys: add (label or none), list in order, revoke once, refusals', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const s = await db.instance()
      await s.orgs.create('acme')
      await s.orgs.create('other')
      db.clock.tick()
      const ci = await s.orgs.addKey('acme', 'ci')
      db.clock.tick()
      const bare = await s.orgs.addKey('acme', null)
      db.clock.tick()
      return {
        ci,
        bare,
        prefixShown: ci.key.startsWith(ci.prefix) && ci.prefix.length === 'lectr_org_'.length + 6,
        tooLong: await outcome(() => s.orgs.addKey('acme', 'l'.repeat(10_000))),
        noSuchOrg: await outcome(() => s.orgs.addKey('nope', null)),
        wrongOrg: await s.orgs.revokeKey('other', ci.keyId),
        revoked: await s.orgs.revokeKey('acme', ci.keyId),
        again: await s.orgs.revokeKey('acme', ci.keyId),
        unknown: await s.orgs.revokeKey('acme', 'no-such-key'),
        ciWorks: s.orgs.inForce.authenticate(ci.key),
        bareWorks: s.orgs.inForce.authenticate(bare.key),
        nothing: [s.orgs.inForce.authenticate(null), s.orgs.inForce.authenticate(''), s.orgs.inForce.authenticate('lectr_org_x')],
        keys: await s.orgs.listKeys('acme'),
        none: await s.orgs.listKeys('nope'),
      }
    })) as Record<string, any>
    expect(t.prefixShown).toBe(true)
    expect(t.tooLong.threw).toStartWith('RangeError')
    expect(t.noSuchOrg).toEqual({ threw: 'an error' })
    expect([t.wrongOrg, t.revoked, t.again, t.unknown]).toEqual([false, true, false, false])
    expect([t.ciWorks, t.bareWorks]).toEqual([null, 'acme'])
    expect(t.nothing).toEqual([null, null, null])
    expect(t.keys.map((k: { label: string | null; revokedAt: string | null }) => [k.label, k.revokedAt])).toEqual([
      ['first key', null],
      ['ci', '2026-01-01T00:00:03.000Z'],
      [null, null],
    ])
    expect(t.none).toEqual([])
  })

  test('Azure settings: put, replace, read, remove once', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const s = await db.instance()
      await s.orgs.create('acme')
      const before = await s.orgs.getAzure('acme')
      const put = await s.orgs.putAzure('acme', 'https://a.openai.azure.com', '2024-10-21')
      db.clock.tick()
      const replaced = await s.orgs.putAzure('acme', 'https://b.openai.azure.com', 'v1')
      const read = await s.orgs.getAzure('acme')
      const inForce = s.orgs.inForce.getAzure('acme')
      return {
        before,
        put,
        replaced,
        read,
        inForce,
        tooLong: await outcome(() => s.orgs.putAzure('acme', 'https://' + 'a'.repeat(10_000), 'v1')),
        noSuchOrg: await outcome(() => s.orgs.putAzure('nope', 'https://a.openai.azure.com', 'v1')),
        noSuchOrgInForce: s.orgs.inForce.getAzure('nope'),
        removedNone: await s.orgs.deleteAzure('nope'),
        removed: await s.orgs.deleteAzure('acme'),
        again: await s.orgs.deleteAzure('acme'),
        after: [await s.orgs.getAzure('acme'), s.orgs.inForce.getAzure('acme')],
      }
    })) as Record<string, any>
    expect(t.before).toBeNull()
    expect(t.read).toEqual({ endpoint: 'https://b.openai.azure.com', apiVersion: 'v1', updatedAt: '2026-01-01T00:00:01.000Z' })
    expect(t.inForce).toEqual(t.read)
    expect(t.tooLong.threw).toStartWith('RangeError')
    expect(t.noSuchOrg).toEqual({ threw: 'an error' })
    expect([t.noSuchOrgInForce, t.removedNone]).toEqual([null, false])
    expect([t.removed, t.again]).toEqual([true, false])
    expect(t.after).toEqual([null, null])
  })

  test("another instance's writes are in force after refresh, not before", async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const one = await db.instance()
      const two = await db.instance()
      await one.orgs.create('acme')
      db.clock.tick()
      const kept = await one.orgs.addKey('acme', 'kept')
      db.clock.tick()
      const made = await two.orgs.addKey('acme', 'elsewhere')
      await two.orgs.revokeKey('acme', kept.keyId)
      await two.orgs.putAzure('acme', 'https://x.openai.azure.com', 'v1')
      const before = [one.orgs.inForce.authenticate(made.key), one.orgs.inForce.authenticate(kept.key), one.orgs.inForce.getAzure('acme')]
      await one.orgs.refresh()
      const after = [one.orgs.inForce.authenticate(made.key), one.orgs.inForce.authenticate(kept.key), one.orgs.inForce.getAzure('acme')]
      await two.orgs.deleteAzure('acme')
      await one.orgs.refresh()
      return { before, after, removed: one.orgs.inForce.getAzure('acme'), lists: [await one.orgs.listKeys('acme'), await two.orgs.listKeys('acme')] }
    })) as Record<string, any>
    expect(t.before).toEqual([null, 'acme', null])
    expect(t.after).toEqual(['acme', null, { endpoint: 'https://x.openai.azure.com', apiVersion: 'v1', updatedAt: '2026-01-01T00:00:02.000Z' }])
    expect(t.removed).toBeNull()
    expect(t.lists[0]).toEqual(t.lists[1])
  })

  test('two instances creating the same orgs at once: each name made once, the other told null (a 409)', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const one = await db.instance()
      const two = await db.instance()
      const names = Array.from({ length: 8 }, (_, i) => `Team ${i}`)
      const answers = await Promise.all(names.map((n) => Promise.all([one.orgs.create(n), two.orgs.create(n)])))
      return {
        madeOnce: answers.map((pair) => pair.filter((a) => a !== null).length),
        orgs: (await one.orgs.list()).map((o) => o.id).sort(),
        keysEach: await Promise.all(names.map(async (_, i) => (await one.orgs.listKeys(`team-${i}`)).length)),
      }
    })) as Record<string, any>
    expect(t.madeOnce).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
    expect(t.orgs).toEqual(Array.from({ length: 8 }, (_, i) => `team-${i}`))
    expect(t.keysEach).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
  })

  test('two instances revoking the same key at once: one is told true', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const one = await db.instance()
      const two = await db.instance()
      await one.orgs.create('acme')
      const keys = await Promise.all(Array.from({ length: 6 }, () => one.orgs.addKey('acme', null)))
      const answers = await Promise.all(keys.map((k) => Promise.all([one.orgs.revokeKey('acme', k.keyId), two.orgs.revokeKey('acme', k.keyId)])))
      return answers.map((pair) => pair.filter(Boolean).length)
    })) as number[]
    expect(t).toEqual([1, 1, 1, 1, 1, 1])
  })
})
