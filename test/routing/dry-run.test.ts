/**
 * The routing dry run (SPEC section 9) over real sockets: known traffic recorded through Lectr against a fake
 * provider (several models, features, tasks, a stream, embeddings, a long prompt in a price tier), then a proposed
 * rule set replayed through POST /api/orgs/:org/routing/dry-run. Every figure is checked against sums over the
 * recorded events worked out here, with prices read from the registry file.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Database } from 'bun:sqlite'
import { FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { answerOf, errorOf } from '../helpers/json'
import { replayGroupSql } from '../../src/rollups/replay-rollup'

const builtin = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))
const DAY_MS = 86_400_000

let upstream: FakeUpstream
let lectr: TestLectr
let events: any[]
const t0 = Date.now()

/** Usage the fake answers with, asked for in the request's `user` field: "input,output,cached". */
function usageOf(body: any): { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details: { cached_tokens: number } } {
  const [input, output, cached] = String(body.user ?? '10,5,0').split(',').map(Number)
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output, prompt_tokens_details: { cached_tokens: cached } }
}

beforeAll(async () => {
  upstream = new FakeUpstream()
  upstream.script = (req, rec) => {
    const body = JSON.parse(rec.body)
    const usage = usageOf(body)
    if (rec.url.pathname.endsWith('/embeddings')) {
      return Response.json({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }], model: body.model, usage: { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens } })
    }
    if (body.stream) return sse(openaiChatStream(2, usage, body.model))
    return Response.json({
      id: 'c', object: 'chat.completion', created: 1, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage,
    })
  }
  lectr = await startLectr(upstream)
  const send = async (path: string, body: unknown, feature: string | null, task: string | null) => {
    const headers: Record<string, string> = {}
    if (feature) headers['x-lectr-feature'] = feature
    if (task) headers['x-lectr-task'] = task
    const res = await lectr.post(path, body, headers)
    expect(res.status).toBe(200)
    await res.text()
  }
  const chat = (model: string, user: string, extra: object = {}) => ({ model, user, messages: [{ role: 'user', content: 'hi' }], ...extra })
  await send('chat/completions', chat('gpt-4o', '1200,300,200'), 'digest', 'summarisation')
  await send('chat/completions', chat('gpt-4o', '800,100,0'), 'digest', 'summarisation')
  await send('chat/completions', chat('gpt-4o-mini', '500,50,100'), 'digest', 'extraction')
  await send('chat/completions', chat('gpt-4o-mini', '400,40,0', { stream: true, stream_options: { include_usage: true } }), 'digest', null)
  await send('chat/completions', chat('gpt-4o', '2000,700,0'), 'chat', 'generation')
  // above the 272k-token tier of gpt-6.1-terra: priced at the tier's rates there
  await send('chat/completions', chat('gpt-4o', '300000,1000,50000'), 'chat', 'reasoning')
  await send('embeddings', { model: 'text-embedding-3-small', input: 'x', user: '900,0,0' }, 'search', null)
  await send('embeddings', { model: 'text-embedding-3-small', input: 'y', user: '300,0,0' }, 'search', null)
  await send('chat/completions', chat('gpt-4o-mini', '100,20,0'), 'other', 'classification')
  events = lectr.events()
})
afterAll(async () => {
  await lectr.stop()
  upstream.stop()
})

/** A registry price applied to one event's tokens, tiers included (SPEC sections 3 and 8), worked out here. */
function priceAt(model: string, e: any): number {
  const p = builtin.models.find((m: any) => m.id === model).price
  const input = e.input_tokens ?? 0
  const tier = (p.tiers ?? []).filter((t: any) => input > t.aboveInputTokens).sort((a: any, b: any) => b.aboveInputTokens - a.aboveInputTokens)[0]
  const r = tier ?? p
  const cached = e.cached_input_tokens ?? 0
  return ((input - cached) * r.input + cached * (r.cachedInput ?? r.input) + (e.output_tokens ?? 0) * r.output) / 1e6
}

const rules = [
  { id: 'off', enabled: false, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' } },
  { id: 'streams', enabled: true, match: { stream: true }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 50 },
  { id: 'digest', enabled: true, match: { feature: ['digest'] }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 10 },
  { id: 'big-4o', enabled: true, match: { model: ['gpt-4o'] }, target: { provider: 'openai', model: 'gpt-6.1-terra' } },
  { id: 'emb', enabled: true, match: { endpoint: ['embeddings'] }, target: { provider: 'anthropic', model: 'claude-3-haiku-20240307' } },
  { id: 'rest', enabled: true, match: {}, target: { provider: 'azure', model: 'my-deployment' } },
]

/** Which rule each event falls to, decided here from the rules above (first match wins). */
function ruleOf(e: any): string {
  if (e.stream === 1) return 'streams'
  if (e.feature === 'digest') return 'digest'
  if (e.model === 'gpt-4o') return 'big-4o'
  if (e.endpoint === 'embeddings') return 'emb'
  return 'rest'
}

async function dryRun(body: unknown): Promise<Response> {
  return lectr.api('orgs/default/routing/dry-run', { method: 'POST', body: JSON.stringify(body) })
}

test('per rule: matched requests, cost as recorded, cost at the target, the difference and its monthly scale', async () => {
  expect(events).toHaveLength(9)
  const since = t0 - 2 * DAY_MS
  const until = Date.now() + 60_000
  const res = await dryRun({ rules, since, until: new Date(until).toISOString() })
  expect(res.status).toBe(200)
  const { results } = await answerOf(res, 'dryRun')
  expect(results.map((r) => r.ruleId)).toEqual(rules.map((r) => r.id))
  const windowDays = (until - since) / DAY_MS

  const of = (id: string) => events.filter((e) => ruleOf(e) === id)
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  const expected: Record<string, { matched: number; cost: number; projected: number; skipped: Record<string, number> }> = {
    off: { matched: 0, cost: 0, projected: 0, skipped: {} },
    streams: { matched: 1, cost: sum(of('streams').map((e) => e.cost_usd)), projected: sum(of('streams').map((e) => priceAt('gpt-4o-mini', e))), skipped: {} },
    digest: { matched: 3, cost: sum(of('digest').map((e) => e.cost_usd)), projected: sum(of('digest').map((e) => priceAt('gpt-4o-mini', e))), skipped: {} },
    'big-4o': { matched: 2, cost: sum(of('big-4o').map((e) => e.cost_usd)), projected: sum(of('big-4o').map((e) => priceAt('gpt-6.1-terra', e))), skipped: {} },
    // Anthropic serves no embeddings: skipped, they would go as sent.
    emb: { matched: 2, cost: sum(of('emb').map((e) => e.cost_usd)), projected: sum(of('emb').map((e) => e.cost_usd)), skipped: { unsupported_endpoint: 2 } },
    // The org has no Azure settings.
    rest: { matched: 1, cost: sum(of('rest').map((e) => e.cost_usd)), projected: sum(of('rest').map((e) => e.cost_usd)), skipped: { azure_not_configured: 1 } },
  }
  // the long prompt really is in the tier: its projection is not the base price
  const long = events.find((e) => e.input_tokens === 300000)
  expect(priceAt('gpt-6.1-terra', long)).toBeGreaterThan(((250000 * 1 + 50000 * 0.05 + 1000 * 5) / 1e6) * 1.5)

  for (const rule of rules) {
    const r = results.find((x) => x.ruleId === rule.id)!
    const x = expected[rule.id]!
    expect({ id: rule.id, matched: r.matched, skipped: r.skipped, unpriced: r.unpriced }).toEqual({ id: rule.id, matched: x.matched, skipped: x.skipped, unpriced: 0 })
    expect(r.costUsd).toBeCloseTo(x.cost, 9)
    expect(r.projectedCostUsd).toBeCloseTo(x.projected, 9)
    expect(r.deltaUsd).toBeCloseTo(x.projected - x.cost, 9)
    expect(r.monthlyDeltaUsd).toBeCloseTo(((x.projected - x.cost) * 30) / windowDays, 9)
    const share = (rule.percent ?? 100) / 100
    expect(r.atPercent.matched).toBeCloseTo(x.matched * share, 12)
    expect(r.atPercent.costUsd).toBeCloseTo(x.cost * share, 9)
    expect(r.atPercent.projectedCostUsd).toBeCloseTo(x.projected * share, 9)
    expect(r.atPercent.deltaUsd).toBeCloseTo((x.projected - x.cost) * share, 9)
    expect(r.atPercent.monthlyDeltaUsd).toBeCloseTo(((x.projected - x.cost) * share * 30) / windowDays, 9)
  }
  // every recorded request fell to exactly one rule
  expect(results.reduce((a, r) => a + r.matched, 0)).toBe(events.length)
  expect(results.find((r) => r.ruleId === 'digest')!.atPercent.matched).toBe(0.3)
  expect(results.find((r) => r.ruleId === 'big-4o')!.deltaUsd).not.toBe(0)
})

test('first match wins: the same two overlapping rules in the other order give the requests they share to the other', async () => {
  const digest = rules[2]!
  const big = rules[3]!
  const a = (await answerOf(await dryRun({ rules: [digest, big] }), 'dryRun')).results
  const b = (await answerOf(await dryRun({ rules: [big, digest] }), 'dryRun')).results
  const gpt4oDigest = events.filter((e) => e.model === 'gpt-4o' && e.feature === 'digest').length
  expect(gpt4oDigest).toBe(2)
  // digest first: 4 digest requests (the stream one too, no stream rule here), 2 other gpt-4o
  expect(a.map((r: any) => [r.ruleId, r.matched])).toEqual([['digest', 4], ['big-4o', 2]])
  expect(b.map((r: any) => [r.ruleId, r.matched])).toEqual([['big-4o', 4], ['digest', 2]])
})

test('the default window is 30 days (monthly = the difference); a window without traffic matches nothing', async () => {
  const [r] = (await answerOf(await dryRun({ rules: [rules[3]] }), 'dryRun')).results
  expect(r.matched).toBe(4)
  expect(r.monthlyDeltaUsd).toBeCloseTo(r.deltaUsd, 9)
  const past = (await answerOf(await dryRun({ rules: [rules[3]], since: t0 - 20 * DAY_MS, until: t0 - 10 * DAY_MS }), 'dryRun')).results[0]
  expect(past).toEqual({
    ruleId: 'big-4o', matched: 0, skipped: {}, unpriced: 0, costUsd: 0, projectedCostUsd: 0, deltaUsd: 0, monthlyDeltaUsd: 0,
    atPercent: { matched: 0, costUsd: 0, projectedCostUsd: 0, deltaUsd: 0, monthlyDeltaUsd: 0 },
  })
})

test('a bad rule set or window is refused with every problem listed, and nothing is saved', async () => {
  const before = await answerOf(await lectr.api('orgs/default/routing'), 'routing')
  const res = await dryRun({
    rules: [
      { id: 'a', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-nope' } },
      { id: 'a', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 0 },
    ],
    since: 'yesterday-ish',
  })
  expect(res.status).toBe(400)
  const err = (await errorOf(res)).error
  expect(err.code).toBe('lectr_invalid_rules')
  expect(err.problems).toEqual([
    'since: expected an ISO 8601 time or ms since the epoch, got "yesterday-ish"',
    'rules[0] (a): target openai/gpt-nope is not a model in the registry',
    'rules[1] (a): duplicate id "a"',
    'rules[1] (a): percent 0 is out of range (1 to 100)',
  ])
  const shape = await dryRun({ rules: [], colour: 'red' })
  expect(shape.status).toBe(400)
  expect((await errorOf(shape)).error.code).toBe('lectr_invalid_body')
  expect((await lectr.api('orgs/nope/routing/dry-run', { method: 'POST', body: JSON.stringify({ rules: [] }) })).status).toBe(404)
  expect(await answerOf(await lectr.api('orgs/default/routing'), 'routing')).toEqual(before)
  expect(before.version).toBe(0)
})

test('the replay roll-up the writer keeps equals the same rows computed from the raw events (the migration backfill)', () => {
  const db = new Database(lectr.dbPath, { readonly: true })
  try {
    const cols = 'org_id, day, provider, model, feature, task, endpoint, stream, input_class, requests, unpriced_requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, cost_usd'
    const kept = db.query(`SELECT ${cols} FROM replay_rollups_daily ORDER BY ${cols}`).all()
    const fromEvents = db.query(`SELECT ${cols} FROM (${replayGroupSql('time - time % 86400000', '1')}) ORDER BY ${cols}`).all()
    expect(kept.length).toBeGreaterThanOrEqual(7)
    expect(kept).toEqual(fromEvents)
    // the long prompt has an input class of its own (ceil(300000 / 1000))
    expect(kept.some((r: any) => r.input_class === 300)).toBe(true)
  } finally {
    db.close()
  }
})

test('an unpriced request is left out of the costs (counted in unpriced) until re-pricing prices it; the roll-up follows', async () => {
  const res = await lectr.post('chat/completions', { model: 'gpt-4o-unlisted-x', user: '1000,100,0', messages: [] }, { 'x-lectr-feature': 'late-priced' })
  expect(res.status).toBe(200)
  await res.text()
  const rule = { id: 'late', enabled: true, match: { feature: ['late-priced'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }
  const before = (await answerOf(await dryRun({ rules: [rule] }), 'dryRun')).results[0]
  expect(before).toMatchObject({ matched: 1, unpriced: 1, costUsd: 0, projectedCostUsd: 0 })
  const put = await lectr.api('registry/overrides/openai/gpt-4o-unlisted-x', { method: 'PUT', body: JSON.stringify({ price: { input: 3, output: 12 } }) })
  expect(put.status).toBeLessThan(300)
  const re = await answerOf(await lectr.api('orgs/default/reprice', { method: 'POST', body: JSON.stringify({ since: t0 - DAY_MS }) }), 'reprice')
  expect(re.repriced).toBe(1)
  const after = (await answerOf(await dryRun({ rules: [rule] }), 'dryRun')).results[0]
  expect(after.unpriced).toBe(0)
  expect(after.costUsd).toBeCloseTo((1000 * 3 + 100 * 12) / 1e6, 10)
  expect(after.projectedCostUsd).toBeCloseTo((1000 * 0.15 + 100 * 0.6) / 1e6, 10)
  const db = new Database(lectr.dbPath, { readonly: true })
  try {
    const cols = 'org_id, day, provider, model, feature, task, endpoint, stream, input_class, requests, unpriced_requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, cost_usd'
    expect(db.query(`SELECT ${cols} FROM replay_rollups_daily ORDER BY ${cols}`).all()).toEqual(
      db.query(`SELECT ${cols} FROM (${replayGroupSql('time - time % 86400000', '1')}) ORDER BY ${cols}`).all(),
    )
  } finally {
    db.close()
  }
})
