/**
 * Re-pricing a request a routing rule sent elsewhere: it is priced, and its roll-ups move, under the model that served
 * it (`routedModel`), as the proxy records a routed request; the requested model's roll-ups do not change.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { DAY_MS, MODEL, pastEvent, rows } from './_unpriced'

let up: FakeUpstream
let lectr: TestLectr
const routed = pastEvent(2, {
  provider: 'openai', model: 'gpt-4o', responseModel: null, routedProvider: 'groq', routedModel: MODEL, ruleId: 'to-lab', arm: 'canary',
  attempts: 1, feature: 'routed',
})

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
  lectr.running.writer.enqueue(routed)
  lectr.running.writer.flush()
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const rollup = (provider: string, model: string) =>
  rows(lectr, "SELECT cost_usd, unpriced_requests, requests FROM rollups_hourly WHERE provider = ? AND model = ? AND feature = 'routed'", provider, model)

test('a routed, unpriced request is re-priced at the model that served it, in its roll-up', async () => {
  // recorded under the model that served it, without a price
  expect(rollup('groq', MODEL)).toEqual([{ cost_usd: 0, unpriced_requests: 1, requests: 1 }])
  expect(rollup('openai', 'gpt-4o')).toEqual([])

  const put = await lectr.api(`registry/overrides/groq/${encodeURIComponent(MODEL)}`, { method: 'PUT', body: JSON.stringify({ price: { input: 2, output: 8 } }) })
  expect(put.status).toBe(201)
  const res = await lectr.api('orgs/default/reprice', { method: 'POST', body: JSON.stringify({ since: Date.now() - 7 * DAY_MS }) })
  const answer = await answerOf(res, 'reprice')
  const cost = (50_000 * 2 + 10_000 * 8) / 1e6
  expect(answer.repriced).toBe(1)
  expect(answer.costUsd).toBeCloseTo(cost, 10)

  const [event] = rows(lectr, 'SELECT cost_usd, routed_model FROM events WHERE id = ?', routed.id)
  expect(event.routed_model).toBe(MODEL)
  expect(event.cost_usd).toBeCloseTo(cost, 10)
  const [after] = rollup('groq', MODEL)
  expect(after.unpriced_requests).toBe(0)
  expect(after.cost_usd).toBeCloseTo(cost, 10)
  // nothing was filed under the requested model
  expect(rollup('openai', 'gpt-4o')).toEqual([])
})
