/**
 * From a recommendation to a canary rule (SPEC section 9), over real sockets: tagged traffic makes a
 * recommendation, one call turns it into an enabled 10% rule as a new version, and that rule then routes real
 * requests, some to the canary arm and the rest as sent.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf, errorOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import type { RegistryFile } from '../../src/registry/schema'
import { canaryRuleId } from '../../src/routing/canary-rule'
import type { Rule } from '../../src/routing/schema'
import { echoModel, putRules } from './_setup'

let up: FakeUpstream
let lectr: TestLectr
beforeAll(async () => {
  up = new FakeUpstream()
  up.script = echoModel()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

async function traffic(l: TestLectr, n: number, model: string, task: string, feature: string): Promise<Response[]> {
  const out: Response[] = []
  // In small batches: the machine is shared, and order does not matter here.
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, () =>
        l.post('chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, { 'x-lectr-task': task, 'x-lectr-feature': feature }),
      ),
    )
    for (const r of batch) await r.text()
    out.push(...batch)
  }
  return out
}

const canary = (l: TestLectr, body: unknown, org = 'default') =>
  l.api(`orgs/${org}/recommendations/canary`, { method: 'POST', body: JSON.stringify(body) })
const routing = async (l: TestLectr = lectr) => answerOf(await l.api('orgs/default/routing'), 'routing')

describe('POST /api/orgs/:org/recommendations/canary', () => {
  test('creates an enabled 10% rule for the group as version n+1, after the rules in force; it then routes real traffic', async () => {
    const existing: Rule = { id: 'keep-me', enabled: true, match: { feature: ['other'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }
    expect((await putRules(lectr, [existing])).status).toBe(200)
    const before = await routing()
    await traffic(lectr, 25, 'gpt-4o', 'classification', 'Triage Bot')
    const recs = (await answerOf(await lectr.api('orgs/default/recommendations'), 'recommendations')).recommendations
    expect(recs.find((r) => r.feature === 'Triage Bot')).toMatchObject({ model: 'gpt-4o', suggestedModel: 'gpt-4o-mini' })

    const res = await canary(lectr, { model: 'gpt-4o', task: 'classification', feature: 'Triage Bot' })
    expect(res.status).toBe(201)
    const made = await answerOf(res, 'canary')
    expect(made).toEqual({ version: before.version + 1, ruleId: 'canary-gpt-4o-classification-triage-bot', percent: 10 })

    const now = await routing()
    expect(now.version).toBe(before.version + 1)
    expect(now.rules).toEqual([
      { ...existing, percent: 100 },
      {
        id: made.ruleId,
        enabled: true,
        match: { provider: ['openai'], model: ['gpt-4o'], task: ['classification'], feature: ['Triage Bot'] },
        target: { provider: 'openai', model: 'gpt-4o-mini' },
        percent: 10,
      },
    ])
    const versions = (await answerOf(await lectr.api('orgs/default/routing/versions'), 'routingVersions')).versions
    expect(versions[0]).toMatchObject({ version: made.version, inForce: true })

    // The rule routes: each request of the group is in one arm; with 10% of 150, both arms get some (the chance
    // of no canary at all is 0.9^150, about 1e-7).
    up.received.length = 0
    const answers = await traffic(lectr, 150, 'gpt-4o', 'classification', 'Triage Bot')
    const routes = answers.map((r) => r.headers.get('x-lectr-route'))
    expect(routes.every((r) => r === `${made.ruleId}; arm=canary` || r === `${made.ruleId}; arm=control`)).toBe(true)
    const canaries = routes.filter((r) => r!.endsWith('arm=canary')).length
    expect(canaries).toBeGreaterThan(0)
    expect(canaries).toBeLessThan(150)
    const models = up.received.map((rec) => JSON.parse(rec.body).model)
    expect(models.filter((m) => m === 'gpt-4o-mini').length).toBe(canaries)
    expect(models.filter((m) => m === 'gpt-4o').length).toBe(150 - canaries)
    // Another feature of the same model is not the group: no rule of this canary applies.
    const [other] = await traffic(lectr, 1, 'gpt-4o', 'classification', 'something-else')
    expect(other!.headers.get('x-lectr-route')).toBeNull()
    // The arms compare: the canary's requests were recorded under it.
    const arms = (await answerOf(await lectr.api('orgs/default/routing/arms'), 'routingArms')).arms.filter((a) => a.ruleId === made.ruleId)
    expect(Object.fromEntries(arms.map((a) => [a.arm, a.requests]))).toEqual({ canary: canaries, control: 150 - canaries })
  })

  test('the same canary twice is refused (409) and changes nothing', async () => {
    const before = await routing()
    const res = await canary(lectr, { model: 'gpt-4o', task: 'classification', feature: 'Triage Bot' })
    expect(res.status).toBe(409)
    expect((await errorOf(res)).error).toMatchObject({ code: 'lectr_rule_exists', message: expect.stringContaining('canary-gpt-4o-classification-triage-bot') })
    expect(await routing()).toEqual(before)
  })

  test('a group with no recommendation is a 404, a bad body a 400, an unknown org a 404; none changes anything', async () => {
    const before = await routing()
    const missing = await canary(lectr, { model: 'gpt-4o', task: 'classification', feature: 'no-such-feature' })
    expect(missing.status).toBe(404)
    expect((await errorOf(missing)).error).toEqual({
      message: 'No recommendation for model "gpt-4o", task classification, feature "no-such-feature" in the last 30 days.',
      type: 'invalid_request_error',
      code: 'lectr_not_found',
    })
    // A recommendation's group is exact: the same model and feature without its task is another group.
    expect((await canary(lectr, { model: 'gpt-4o', feature: 'Triage Bot' })).status).toBe(404)
    const bad = await canary(lectr, { task: 'dreaming', colour: 'red' })
    expect(bad.status).toBe(400)
    expect((await errorOf(bad)).error.problems?.length).toBeGreaterThanOrEqual(3)
    expect((await lectr.api('orgs/default/recommendations/canary', { method: 'POST', body: '{' })).status).toBe(400)
    expect((await canary(lectr, { model: 'gpt-4o', task: 'classification', feature: 'Triage Bot' }, 'ghost')).status).toBe(404)
    expect(await routing()).toEqual(before)
  })
})

test('a suggested model that is not a routing target is refused with a 400 saying so', async () => {
  const file: RegistryFile = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))
  file.models.find((m) => m.id === 'gpt-4o-mini')!.routingTarget = false
  const dir = mkdtempSync(join(tmpdir(), 'lectr-canary-'))
  writeFileSync(join(dir, 'registry.json'), JSON.stringify(file))
  const other = await startLectr(up, {}, { LECTR_REGISTRY: join(dir, 'registry.json') })
  try {
    await traffic(other, 25, 'gpt-4o', 'classification', 'triage')
    const res = await canary(other, { model: 'gpt-4o', task: 'classification', feature: 'triage' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error).toMatchObject({
      code: 'lectr_not_routable',
      message: 'The suggested model openai/gpt-4o-mini is not a routing target in the registry, so no rule can send traffic to it.',
    })
    expect((await routing(other)).version).toBe(0)
  } finally {
    await other.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('rule ids: slugged from the group, at most 64 characters, unique in the org', () => {
  const g = { model: 'gpt-4o', task: 'classification' as const, feature: 'Triage Bot' }
  expect(canaryRuleId(g, new Set())).toBe('canary-gpt-4o-classification-triage-bot')
  expect(canaryRuleId(g, new Set(['canary-gpt-4o-classification-triage-bot']))).toBe('canary-gpt-4o-classification-triage-bot-2')
  expect(canaryRuleId({ model: 'M', task: null, feature: null }, new Set())).toBe('canary-m')
  const long = canaryRuleId({ model: 'x'.repeat(100), task: null, feature: '<script>' }, new Set())
  expect(long).toMatch(/^[a-z0-9-]{1,64}$/)
  const taken = new Set([long])
  const next = canaryRuleId({ model: 'x'.repeat(100), task: null, feature: '<script>' }, taken)
  expect(next).toMatch(/^[a-z0-9-]{1,64}$/)
  expect(next).not.toBe(long)
})
