import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { answerOf } from '../helpers/json'

// Tagged traffic through the proxy, then the recommendations API, against the seed's rules.
let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (req, rec) => {
    const body = JSON.parse(rec.body)
    const long = body.messages?.[0]?.content === 'long'
    return chatJson({ model: body.model, usage: { prompt_tokens: long ? 6000 : 300, completion_tokens: 20, total_tokens: long ? 6020 : 320 } })
  }
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

async function traffic(n: number, model: string, task: string | null, feature: string, prompt = 'short') {
  const headers: Record<string, string> = { 'x-lectr-feature': feature }
  if (task) headers['x-lectr-task'] = task
  await Promise.all(
    Array.from({ length: n }, () => lectr.post('chat/completions', { model, messages: [{ role: 'user', content: prompt }] }, headers).then((r) => r.text())),
  )
}

describe('recommendations API', () => {
  test('per model, task and feature, within the provider, sorted by savings, with the fields of SPEC 6', async () => {
    await traffic(25, 'gpt-4o', 'classification', 'triage')
    await traffic(25, 'claude-3-opus-20240229', 'summarisation', 'digest', 'long')
    await traffic(25, 'claude-3-opus-20240229', 'classification', 'tagging')
    await traffic(25, 'o3', 'reasoning', 'planner')
    await traffic(19, 'gpt-4.1', 'extraction', 'too-few')
    const res = await lectr.api('orgs/default/recommendations')
    expect(res.status).toBe(200)
    const { recommendations } = await answerOf(res, 'recommendations')
    const find = (model: string, feature: string) => recommendations.find((r) => r.model === model && r.feature === feature)

    expect(find('gpt-4o', 'triage')).toMatchObject({ provider: 'openai', task: 'classification', suggestedModel: 'gpt-4o-mini', aggressiveness: 'aggressive', requests: 25 })
    expect(find('claude-3-opus-20240229', 'digest')).toMatchObject({ suggestedModel: 'claude-3-5-sonnet-20241022', aggressiveness: 'conservative' })
    expect(find('claude-3-opus-20240229', 'tagging')).toMatchObject({ suggestedModel: 'claude-3-5-haiku-20241022', aggressiveness: 'aggressive' })
    expect(find('o3', 'planner')).toBeUndefined()
    expect(find('gpt-4.1', 'too-few')).toBeUndefined()

    const r = find('gpt-4o', 'triage')!
    for (const f of ['currentCostUsd', 'projectedCostUsd', 'monthlySavingsUsd', 'reason']) expect(r).toHaveProperty(f)
    // 25 requests of 300 in / 20 out: gpt-4o 2.50/10.00 vs gpt-4o-mini 0.15/0.60 per 1M
    expect(r.currentCostUsd).toBeCloseTo(25 * (300 * 2.5 + 20 * 10) / 1e6, 10)
    expect(r.projectedCostUsd).toBeCloseTo(25 * (300 * 0.15 + 20 * 0.6) / 1e6, 10)
    expect(r.reason).toBeString()
    for (let i = 1; i < recommendations.length; i++) {
      expect(recommendations[i - 1].monthlySavingsUsd).toBeGreaterThanOrEqual(recommendations[i].monthlySavingsUsd)
    }
  })

  test('a bad window is a 400; an unknown org a 404', async () => {
    expect((await lectr.api('orgs/default/recommendations?since=soon')).status).toBe(400)
    expect((await lectr.api('orgs/ghost/recommendations')).status).toBe(404)
  })
})
