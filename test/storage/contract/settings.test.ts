/**
 * SettingsStore's contract (sessions, the admin token, price overrides, routing versions): every case runs on
 * SQLite and on Postgres and the answers (random tokens and ids aside) must be equal; each case also asserts what
 * they are. Includes two instances on one database saving routing versions and overrides at once.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { hashSecret } from '../../../src/auth/secrets'
import { SESSION_IDLE_MS, SESSION_MAX_MS } from '../../../src/auth/sessions'
import type { Rule } from '../../../src/routing/schema'
import { postgresKind, sameAnswers, sqliteKind } from './_stores'

const postgres = postgresKind()
const KINDS = [sqliteKind(), postgres]
afterAll(() => postgres.stop())

const T0 = Date.UTC(2026, 0, 1)
const rule = (id: string, model = 'gpt-4o-mini'): Rule => ({ id, enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model } })

describe('SettingsStore: same answers from SQLite and Postgres', () => {
  test('sessions: create, find (slid), another tag or expiry ends one, org switch, sign-out, sign out everywhere', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const { settings: s } = await db.instance()
      const a = await s.sessions.create(null, T0, 'tag1')
      const b = await s.sessions.create('acme', T0, 'tag1')
      const c = await s.sessions.create(null, T0, 'tag1')
      const found = await s.sessions.find(a.id, T0 + 1000, 'tag1')
      const slid = await s.sessions.find(a.id, T0 + 3_600_000, 'tag1')
      await s.sessions.setOrg(a.session.idHash, 'beta')
      const switched = await s.sessions.find(a.id, T0 + 3_600_001, 'tag1')
      const otherTag = await s.sessions.find(b.id, T0 + 1000, 'tag2')
      const afterOtherTag = await s.sessions.find(b.id, T0 + 1000, 'tag1')
      const expired = await s.sessions.find(c.id, T0 + SESSION_IDLE_MS, 'tag1')
      const f = await s.sessions.create(null, T0, 'tag1')
      // used every 10 hours, it lives until the cap after sign-in, not a day longer
      let capped = null
      for (let at = T0 + 10 * 3_600_000; at < T0 + SESSION_MAX_MS; at += 10 * 3_600_000) capped = await s.sessions.find(f.id, at, 'tag1')
      const pastCap = await s.sessions.find(f.id, T0 + SESSION_MAX_MS, 'tag1')
      await s.sessions.delete(a.session.idHash)
      const signedOut = await s.sessions.find(a.id, T0 + 2000, 'tag1')
      const d = await s.sessions.create(null, T0, 'tag1')
      const e = await s.sessions.create(null, T0, 'tag1')
      const everywhere = await s.sessions.deleteAll()
      return {
        a,
        found,
        slid,
        switched,
        otherTag,
        afterOtherTag,
        expired,
        capped,
        pastCap,
        signedOut,
        gone: [await s.sessions.find(d.id, T0, 'tag1'), await s.sessions.find(e.id, T0, 'tag1')],
        everywhere,
        nothing: [await s.sessions.find(null, T0, 'tag1'), await s.sessions.find('x'.repeat(500), T0, 'tag1'), await s.sessions.find('unknown', T0, 'tag1')],
        emptyAgain: await s.sessions.deleteAll(),
      }
    })) as Record<string, any>
    expect(t.found).toEqual({ ...t.a.session })
    expect(t.slid.expiresAt).toBe(T0 + 3_600_000 + SESSION_IDLE_MS)
    expect(t.switched.orgId).toBe('beta')
    expect([t.otherTag, t.afterOtherTag, t.expired, t.signedOut, t.pastCap]).toEqual([null, null, null, null, null])
    expect(t.capped.expiresAt).toBe(T0 + SESSION_MAX_MS)
    expect(t.gone).toEqual([null, null])
    expect(t.everywhere).toBe(2)
    expect(t.nothing).toEqual([null, null, null])
    expect(t.emptyAgain).toBe(0)
  })

  test('the admin token: generated until shown, kept once shown, a configured one wins, reset', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const { settings: s } = await db.instance()
      const none = await s.adminToken.storedHash()
      const first = await s.adminToken.resolve(null)
      const unshownAgain = await s.adminToken.resolve(null)
      await s.adminToken.markShown()
      const kept = await s.adminToken.resolve(null)
      const configured = await s.adminToken.resolve('lectr_admin_configured-by-the-operator')
      const afterConfigured = await s.adminToken.resolve(null)
      const reset = await s.adminToken.reset()
      const afterReset = await s.adminToken.resolve(null)
      return {
        none,
        first,
        firstHashMatches: first.hash === hashSecret(first.generated!),
        unshownAgain,
        kept,
        configured,
        configuredHashMatches: configured.hash === hashSecret('lectr_admin_configured-by-the-operator'),
        afterConfigured,
        resetHashMatches: (await s.adminToken.storedHash()) === hashSecret(reset),
        afterReset,
      }
    })) as Record<string, any>
    expect(t.none).toBeNull()
    expect(t.firstHashMatches).toBe(true)
    expect(t.unshownAgain.generated).not.toBe(t.first.generated)
    expect(t.kept).toEqual({ hash: t.unshownAgain.hash, generated: null })
    expect(t.configuredHashMatches).toBe(true)
    expect(t.configured.generated).toBeNull()
    expect(t.afterConfigured).toEqual(t.configured)
    expect(t.resetHashMatches).toBe(true)
    expect(t.afterReset.generated).toBeNull()
  })

  test('price overrides: put (created, then replaced), list in byte order, in force and watched, remove once, an invalid stored row left out', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const inst = await db.instance()
      const s = inst.settings
      const seen: number[] = []
      s.priceOverrides.inForce.watch((o) => seen.push(o.length))
      const created = await s.priceOverrides.put('openai', 'gpt-4o-mini', { input: 1, output: 2 })
      db.clock.tick()
      const replaced = await s.priceOverrides.put('openai', 'gpt-4o-mini', { input: 3, output: 4, cachedInput: 0.5, cacheWrite: 5, cacheWrite1h: 6 })
      await s.priceOverrides.put('openai', 'Zeta-model', { input: 1, output: 1 })
      await s.priceOverrides.put('openai', 'a-model', { input: 1, output: 1 })
      await s.priceOverrides.put('anthropic', 'claude-x', { input: 1, output: 1 })
      await db.raw(`INSERT INTO price_overrides (provider, model, price, created_at, updated_at) VALUES ('openai', 'broken', 'not json', 'x', 'x')`)
      const list = await s.priceOverrides.list()
      const logged = [...inst.logged]
      return {
        created,
        replaced,
        list,
        logged,
        removed: await s.priceOverrides.remove('openai', 'a-model'),
        again: await s.priceOverrides.remove('openai', 'a-model'),
        unknownProvider: await s.priceOverrides.remove('nope', 'a-model'),
        inForce: s.priceOverrides.inForce.current(),
        seen,
      }
    })) as Record<string, any>
    expect(t.created).toEqual({
      created: true,
      override: { provider: 'openai', model: 'gpt-4o-mini', price: { input: 1, output: 2 }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
    })
    expect(t.replaced.created).toBe(false)
    expect(t.replaced.override).toMatchObject({ createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z' })
    expect(t.list.map((o: { provider: string; model: string }) => `${o.provider}/${o.model}`)).toEqual([
      'anthropic/claude-x',
      'openai/Zeta-model',
      'openai/a-model',
      'openai/gpt-4o-mini',
    ])
    expect(t.logged).toEqual(['lectr: price override "openai"/"broken" in the database is invalid; ignored'])
    expect([t.removed, t.again, t.unknownProvider]).toEqual([true, false, false])
    expect(t.inForce).toHaveLength(3)
    expect(t.seen.at(-1)).toBe(3)
  })

  test('routing: save, versions newest first, restore as the newest, rules in force (none for an empty set)', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const { settings: s } = await db.instance()
      const none = [await s.routing.current('acme'), await s.routing.versions('acme'), s.routing.inForce.rulesOf('acme')]
      const v1 = await s.routing.save('acme', [rule('a')])
      db.clock.tick()
      const v2 = await s.routing.save('acme', [rule('b', 'gpt-4.1-mini'), rule('c')])
      db.clock.tick()
      const v3 = await s.routing.save('acme', [])
      const emptyInForce = s.routing.inForce.rulesOf('acme')
      db.clock.tick()
      const restored = await s.routing.restore('acme', 1)
      const missing = await s.routing.restore('acme', 99)
      const other = await s.routing.save('beta', [rule('z')])
      return {
        none,
        v1,
        v2,
        v3,
        emptyInForce,
        restored,
        missing,
        other,
        current: await s.routing.current('acme'),
        versions: await s.routing.versions('acme'),
        inForce: [s.routing.inForce.rulesOf('acme'), s.routing.inForce.rulesOf('beta')],
      }
    })) as Record<string, any>
    expect(t.none).toEqual([null, [], null])
    expect([t.v1.version, t.v2.version, t.v3.version, t.restored.version, t.other.version]).toEqual([1, 2, 3, 4, 1])
    expect(t.emptyInForce).toBeNull()
    expect(t.restored).toEqual({ version: 4, rules: [rule('a')], updatedAt: '2026-01-01T00:00:03.000Z' })
    expect(t.missing).toBeNull()
    expect(t.current).toEqual(t.restored)
    expect(t.versions.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1])
    expect(t.inForce).toEqual([[rule('a')], [rule('z')]])
  })

  test("another instance's overrides and routing are in force after refresh, not before", async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const one = await db.instance()
      const two = await db.instance()
      await two.settings.routing.save('acme', [rule('a')])
      await two.settings.priceOverrides.put('openai', 'gpt-4o', { input: 9, output: 9 })
      const before = [one.settings.routing.inForce.rulesOf('acme'), one.settings.priceOverrides.inForce.current()]
      await one.settings.refresh()
      const after = [one.settings.routing.inForce.rulesOf('acme'), one.settings.priceOverrides.inForce.current().map((o) => o.model)]
      await two.settings.routing.restore('acme', 1)
      await two.settings.priceOverrides.remove('openai', 'gpt-4o')
      await one.settings.refresh()
      return { before, after, restored: await one.settings.routing.current('acme'), removed: one.settings.priceOverrides.inForce.current() }
    })) as Record<string, any>
    expect(t.before).toEqual([null, []])
    expect(t.after).toEqual([[rule('a')], ['gpt-4o']])
    expect(t.restored.version).toBe(2)
    expect(t.removed).toEqual([])
  })

  test('two instances saving routing versions for one org at once: every number once, 1 to N', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const one = await db.instance()
      const two = await db.instance()
      const saves = Array.from({ length: 10 }, (_, i) => [one, two][i % 2]!.settings.routing.save('acme', [rule(`r${i}`)]))
      const numbers = (await Promise.all(saves)).map((v) => v.version).sort((a, b) => a - b)
      const stored = (await one.settings.routing.versions('acme')).map((v) => v.version)
      return { numbers, stored }
    })) as Record<string, any>
    expect(t.numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(t.stored).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
  })

  test('two instances putting the same price override at once: one is told created', async () => {
    const t = (await sameAnswers(KINDS, async (db) => {
      const one = await db.instance()
      const two = await db.instance()
      const models = ['m1', 'm2', 'm3', 'm4', 'm5']
      const answers = await Promise.all(
        models.map((m) => Promise.all([one, two].map((i) => i.settings.priceOverrides.put('openai', m, { input: 1, output: 1 })))),
      )
      return answers.map((pair) => pair.filter((a) => a.created).length)
    })) as number[]
    expect(t).toEqual([1, 1, 1, 1, 1])
  })
})
