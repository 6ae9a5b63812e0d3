/**
 * The routing metrics from real routed traffic (not fabricated events): a canary rule at 100% whose target answers
 * 503 to some requests, so its fallback is called. `lectr_routing_requests_total{rule,arm}`, `lectr_fallbacks_total`
 * and `lectr_requests_total{route}` must equal what the event log recorded.
 */
import { openaiAnswerOf } from '../helpers/json'
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { chatJson, FakeUpstream } from '../helpers/fake-upstream'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'
import { parseExposition, total, type Exposition } from './_prom'

let up: FakeUpstream
let l: TestLectr
let events: any[]
let x: Exposition

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (_req, rec) => {
    const body = JSON.parse(rec.body || '{}')
    // the target is busy for requests asking temperature 2: the fallback answers them
    if (body.model === 'gpt-4o-mini' && body.temperature === 2) return Response.json({ error: { message: 'busy', type: 'server_error' } }, { status: 503 })
    return chatJson({ model: body.model, usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } })
  }
  l = await startLectr(up)
  const put = await l.api('orgs/default/routing', {
    method: 'PUT',
    body: JSON.stringify({
      rules: [{
        id: 'to-mini', enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 100,
        fallbacks: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
      }],
    }),
  })
  expect(put.status).toBe(200)
  const send = async (body: object) => {
    const res = await l.post('chat/completions', { messages: [{ role: 'user', content: 'hi' }], ...body })
    expect(res.status).toBe(200)
    return res
  }
  for (let i = 0; i < 3; i++) expect((await send({ model: 'gpt-4o' })).headers.get('x-lectr-route')).toBe('to-mini; arm=canary')
  for (let i = 0; i < 2; i++) expect((await openaiAnswerOf(await send({ model: 'gpt-4o', temperature: 2 }), 'chat')).model).toBe('gpt-4.1-mini')
  // not matched: no route
  await send({ model: 'gpt-4.1' })
  events = l.events()
  // An event's usage is completed just after its answer went out: scrape until all are counted.
  for (let i = 0; ; i++) {
    const res = await fetch(`${l.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(res.status).toBe(200)
    x = parseExposition(await res.text())
    if (total(x, 'lectr_requests_total') === events.length || i > 40) break
    await Bun.sleep(50)
  }
})
afterAll(async () => {
  await l.stop()
  up.stop()
})

test('the routing counters equal the events a real canary with a used fallback recorded', () => {
  expect(events).toHaveLength(6)
  const canary = events.filter((e) => e.rule_id === 'to-mini' && e.arm === 'canary')
  expect(canary).toHaveLength(5)
  // the fallback was really used: two events made two upstream calls and were served by it
  expect(events.filter((e) => e.attempts === 2 && e.routed_model === 'gpt-4.1-mini')).toHaveLength(2)

  expect(total(x, 'lectr_routing_requests_total', { rule: 'to-mini', arm: 'canary' })).toBe(canary.length)
  expect(total(x, 'lectr_routing_requests_total')).toBe(events.filter((e) => e.rule_id !== null).length)
  expect(total(x, 'lectr_fallbacks_total')).toBe(events.reduce((a, e) => a + (e.attempts ?? 1) - 1, 0))
  expect(total(x, 'lectr_fallbacks_total')).toBe(2)
  expect(total(x, 'lectr_requests_total', { route: 'canary' })).toBe(canary.length)
  expect(total(x, 'lectr_requests_total', { route: 'none' })).toBe(events.filter((e) => e.rule_id === null).length)
  expect(total(x, 'lectr_requests_total', { route: 'control' })).toBe(0)
  expect(total(x, 'lectr_requests_total')).toBe(events.length)
})
