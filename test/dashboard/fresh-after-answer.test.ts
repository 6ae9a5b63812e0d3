/**
 * A request shows on every page and admin read as soon as its answer is out: the roll-up store's kept days and the
 * kept recommendations list never hide it, even after the pages were read (and their days kept) just before.
 * Real Lectr over a socket, a fake provider, a signed-in dashboard client.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { echoModel } from '../routing/_setup'
import { Client } from './_client'

const DAY_MS = 86_400_000
let up: FakeUpstream
let lectr: TestLectr
let client: Client

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = echoModel()
  lectr = await startLectr(up)
  // Traffic three days ago (a finished day, so a day the store keeps in memory once read).
  const db = new Database(lectr.dbPath)
  db.exec('PRAGMA busy_timeout = 5000')
  const day = Date.now() - (Date.now() % DAY_MS) - 3 * DAY_MS
  for (const [table, time] of [['rollups_hourly', 'hour'], ['rollups_daily', 'day']] as const) {
    db.query(
      `INSERT INTO ${table} (org_id, ${time}, provider, model, feature, task, requests, errors, input_tokens, cached_input_tokens,
         output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum, cache_write_tokens, cache_write_1h_tokens)
       VALUES ('default', ?, 'openai', 'gpt-4o', 'old-feature', '', 7, 0, 700, 0, 70, 0, 0.07, 0, 700, 0, 0)`,
    ).run(day + 5 * 3_600_000 * (table === 'rollups_hourly' ? 1 : 0))
  }
  // and per model, as the writer keeps them
  db.exec(`INSERT INTO model_rollups_hourly (org_id, hour, provider, model, requests, errors, input_tokens, output_tokens, cost_usd,
    unpriced_requests, latency_ms_sum, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens)
    SELECT org_id, hour, provider, model, requests, errors, input_tokens, output_tokens, cost_usd, unpriced_requests, latency_ms_sum,
      cached_input_tokens, cache_write_tokens, cache_write_1h_tokens FROM rollups_hourly`)
  db.exec(`INSERT INTO model_rollups_daily (org_id, day, provider, model, requests, errors, input_tokens, output_tokens, cost_usd,
    unpriced_requests, latency_ms_sum, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens)
    SELECT org_id, day, provider, model, requests, errors, input_tokens, output_tokens, cost_usd, unpriced_requests, latency_ms_sum,
      cached_input_tokens, cache_write_tokens, cache_write_1h_tokens FROM rollups_daily`)
  db.close()
  client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const models = async () => (await answerOf(await lectr.api('orgs/default/models?since=' + new Date(Date.now() - 30 * DAY_MS).toISOString()), 'models')).rows

test('a request answered a moment ago is on the Overview, Models, Events and Recommendations pages and in the admin reads', async () => {
  // Every page read once first: the finished days are kept, the recommendations list too.
  for (const path of ['/?range=30d', '/?range=24h', '/models?range=30d', '/events', '/recommendations']) {
    const { res, html } = await client.page(path)
    expect(res.status).toBe(200)
    expect(html).not.toContain('fresh-feature')
  }
  expect((await client.page('/?range=30d')).html).toContain('old-feature')
  expect((await models()).map((r) => r.model)).toEqual(['gpt-4o'])

  const res = await lectr.post('chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { 'x-lectr-feature': 'fresh-feature' })
  expect(res.status).toBe(200)
  await res.text()

  // At once: no wait, no second try.
  const month = (await client.page('/?range=30d')).html
  expect(month).toContain('fresh-feature')
  expect(month).toContain('old-feature') // the kept day, still there
  expect((await client.page('/?range=24h')).html).toContain('fresh-feature')
  expect((await client.page('/models?range=30d')).html).toContain('gpt-4o-mini')
  expect((await client.page('/events')).html).toContain('fresh-feature')
  const rows = await models()
  expect(rows.map((r) => [r.model, r.requests])).toEqual([['gpt-4o', 7], ['gpt-4o-mini', 1]])
  const recs = await answerOf(await lectr.api('orgs/default/recommendations'), 'recommendations')
  expect(recs.total).toBe(recs.recommendations.length)
})
