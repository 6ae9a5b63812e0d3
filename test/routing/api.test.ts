/** The routing admin API (SPEC section 9): validation listing every problem, versions, restore, explain. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf, errorOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { putRules } from './_setup'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateRegistry } from '../../src/registry/load'
import type { RegistryFile } from '../../src/registry/schema'
import { validateRuleSet } from '../../src/routing/validate'

let upstream: FakeUpstream
let lectr: TestLectr
beforeAll(async () => {
  upstream = new FakeUpstream()
  lectr = await startLectr(upstream)
})
afterAll(async () => {
  await lectr.stop()
  upstream.stop()
})

const mini = { id: 'to-mini', enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }
const routing = async () => answerOf(await lectr.api('orgs/default/routing'), 'routing')

describe('validation', () => {
  test('a bad rule set is refused with every problem listed, and changes nothing', async () => {
    expect((await putRules(lectr, [mini])).status).toBe(200)
    const before = await routing()
    const res = await putRules(lectr, [
      { id: 'a', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-nope' } },
      { id: 'a', enabled: true, match: {}, target: { provider: 'groq', model: 'gpt-4o' }, percent: 0 },
      { id: 'b', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 101, fallbacks: [{ provider: 'openai', model: 'gpt-4o-mini' }] },
    ])
    expect(res.status).toBe(400)
    const err = (await errorOf(res)).error
    expect(err.code).toBe('lectr_invalid_rules')
    expect(err.problems).toEqual([
      'rules[0] (a): target openai/gpt-nope is not a model in the registry',
      'rules[1] (a): duplicate id "a"',
      'rules[1] (a): percent 0 is out of range (1 to 100)',
      'rules[1] (a): target groq/gpt-4o is not a model in the registry',
      'rules[2] (b): percent 101 is out of range (1 to 100)',
      'rules[2] (b): fallbacks[0] openai/gpt-4o-mini is the rule\'s own target',
    ])
    expect(await routing()).toEqual(before)
  })

  test('structure problems (bad id, unknown field, bad provider) are listed too', async () => {
    const res = await putRules(lectr, [{ id: 'Bad Id', enabled: 'yes', match: { colour: ['red'] }, target: { provider: 'nope', model: 'x' } }])
    expect(res.status).toBe(400)
    const problems = (await errorOf(res)).error.problems ?? []
    expect(problems.some((p) => p.startsWith('/rules/0/id'))).toBe(true)
    expect(problems.some((p) => p.startsWith('/rules/0/enabled'))).toBe(true)
    expect(problems.some((p) => p.startsWith('/rules/0/match'))).toBe(true)
    expect(problems.some((p) => p.startsWith('/rules/0/target/provider'))).toBe(true)
  })

  test('a target that is not a routing target is refused; an Azure deployment is never looked up', () => {
    const file: RegistryFile = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))
    file.models.find((m) => m.id === 'gpt-4')!.routingTarget = false
    const parsed = validateRegistry(file, 'test')
    if (!parsed.ok) throw new Error('registry')
    const r = validateRuleSet({ rules: [{ ...mini, target: { provider: 'openai', model: 'gpt-4' }, fallbacks: [{ provider: 'azure', model: 'any-deployment' }] }] }, parsed.registry)
    expect(r).toEqual({ ok: false, problems: ['rules[0] (to-mini): target openai/gpt-4 is not a routing target (registry routingTarget)'] })
  })

  test('not JSON, and an unknown org', async () => {
    const res = await lectr.api('orgs/default/routing', { method: 'PUT', body: '{' })
    expect(res.status).toBe(400)
    expect((await lectr.api('orgs/nope/routing')).status).toBe(404)
  })
})

test('versions: every save is a new number, all listed; restore makes an old one the newest', async () => {
  const start = (await routing()).version
  const v1 = (await answerOf(await putRules(lectr, [mini]), 'savedRouting')).version
  const v2 = (await answerOf(await putRules(lectr, [{ ...mini, percent: 10 }]), 'savedRouting')).version
  expect([v1, v2]).toEqual([start + 1, start + 2])
  const inForce = await routing()
  expect(inForce.version).toBe(v2)
  expect(inForce.rules[0].percent).toBe(10)
  expect(typeof inForce.updatedAt).toBe('string')
  const listed = (await answerOf(await lectr.api('orgs/default/routing/versions'), 'routingVersions')).versions
  expect(listed.map((v) => v.version)).toEqual(Array.from({ length: v2 }, (_, i) => v2 - i))
  expect(listed[0].inForce).toBe(true)
  const restored = await lectr.api('orgs/default/routing/restore', { method: 'POST', body: JSON.stringify({ version: v1 }) })
  expect(await answerOf(restored, 'restoredRouting')).toEqual({ version: v2 + 1, restoredFrom: v1 })
  const now = await routing()
  expect([now.version, now.rules[0].percent]).toEqual([v2 + 1, 100])
  expect((await lectr.api('orgs/default/routing/restore', { method: 'POST', body: JSON.stringify({ version: 999 }) })).status).toBe(404)
  expect((await lectr.api('orgs/default/routing/restore', { method: 'POST', body: JSON.stringify({ version: 'x' }) })).status).toBe(400)
})

test('rules survive a restart (read from the database at start)', async () => {
  const other = await startLectr(upstream)
  try {
    await putRules(other, [mini])
    const db = other.dbPath
    other.running.writer.flush()
    await other.running.stop()
    const { Database } = await import('bun:sqlite')
    const { openSqliteStorage } = await import('../../src/storage')
    const store = openSqliteStorage(new Database(db)).settings.routing
    expect(store.inForce.rulesOf('default')?.[0]?.id).toBe('to-mini')
  } finally {
    await other.stop().catch(() => {})
  }
})

test('explain: which rule applies and why each earlier one did not', async () => {
  await putRules(lectr, [
    { id: 'off', enabled: false, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' } },
    { id: 'digest', enabled: true, match: { feature: ['email-digest'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } },
    { id: 'streams', enabled: true, match: { stream: true }, target: { provider: 'openai', model: 'gpt-4o-mini' } },
    { id: 'claude', enabled: true, match: { provider: ['anthropic'] }, target: { provider: 'anthropic', model: 'claude-haiku-4-5' }, percent: 10 },
  ])
  const explain = async (body: unknown) => answerOf(await lectr.api('orgs/default/routing/explain', { method: 'POST', body: JSON.stringify(body) }), 'routingExplain')
  const r = await explain({ model: 'claude-sonnet-4-5', feature: 'chat' })
  expect(r.ruleId).toBe('claude')
  expect(r.arm).toBeUndefined()
  expect(r.percent).toBe(10)
  expect(r.trace).toEqual([
    { ruleId: 'off', matched: false, reason: 'disabled' },
    { ruleId: 'digest', matched: false, reason: 'feature chat is not one of email-digest' },
    { ruleId: 'streams', matched: false, reason: 'stream is false, the rule wants true' },
    { ruleId: 'claude', matched: true, reason: 'every condition holds' },
  ])
  const d = await explain({ model: 'gpt-4o', feature: 'email-digest', stream: true })
  expect([d.ruleId, d.arm, d.trace.length]).toEqual(['digest', 'canary', 2])
  const none = await explain({ model: 'gpt-4o' })
  expect(none.ruleId).toBeNull()
  expect(none.trace.map((t) => t.matched)).toEqual([false, false, false, false])
  const bad = await lectr.api('orgs/default/routing/explain', { method: 'POST', body: JSON.stringify({ provider: 'nope' }) })
  expect(bad.status).toBe(400)
  expect((await errorOf(bad)).error.problems?.length).toBeGreaterThanOrEqual(2)
})
