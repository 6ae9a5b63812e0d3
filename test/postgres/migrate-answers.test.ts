/**
 * A SQLite database built by a running Lectr from mixed traffic, copied by `lectr migrate-to-postgres`: a Lectr on
 * the copy answers the admin API exactly as a Lectr on the original file does, and the org keys of the file work.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { runCli } from '../helpers/cli'
import { chatJson, FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { postAndLeaveBeforeAnswer, startLectr, type TestLectr } from '../helpers/lectr'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'

const up = new FakeUpstream()
let source: TestLectr
let onSqlite: TestLectr
let onPostgres: TestLectr
let pg: Postgres
let orgKey: string

beforeAll(async () => {
  up.script = () => {
    const n = up.received.length
    if (n % 4 === 1) return sse(openaiChatStream(4, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }, 'gpt-4o-mini-2024-07-18'))
    if (n % 4 === 2) return chatJson({ status: 500 })
    return chatJson({ model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 10 + n, completion_tokens: 3, total_tokens: 13 + n } })
  }
  ;[source, pg] = await Promise.all([startLectr(up), startPostgres()])
  orgKey = source.orgKey
  for (let i = 0; i < 24; i++) {
    await (await source.post('chat/completions', { model: i % 2 ? 'gpt-4o-mini' : 'gpt-4o', stream: i % 4 === 1, messages: [] }, { 'x-lectr-feature': `f${i % 3}` })).text()
  }
  await postAndLeaveBeforeAnswer(source, up)
  const team = (await (await source.api('orgs', { method: 'POST', body: '{"name":"Team"}' })).json()) as { id: string }
  await source.api(`orgs/${team.id}/providers/azure`, { method: 'PUT', body: JSON.stringify({ endpoint: 'https://team.openai.azure.com', apiVersion: '2024-06-01' }) })
  await source.running.storage.settings.priceOverrides.put('openai', 'team-model', { input: 1, output: 2 })
  // As `lectr serve` does once it printed them: a key never shown would be replaced at the next start.
  await source.running.credentialsShown()
  await source.running.stop()
  const url = await createDatabase(pg, 'answers')
  const r = await runCli(['migrate-to-postgres', '--db', source.dbPath, '--database-url', url])
  expect(r.code).toBe(0)
  onSqlite = await startLectr(up, { db: source.dbPath })
  onPostgres = await startLectr(up, { databaseUrl: url })
}, 120_000)

afterAll(async () => {
  await onPostgres?.stop()
  await onSqlite?.stop()
  await source?.stop()
  await pg?.stop()
  up.stop()
})

test('a Lectr on the migrated Postgres answers the admin API as a Lectr on the SQLite file', async () => {
  const orgs = (await (await onSqlite.api('orgs')).json()) as { orgs: { id: string }[] }
  const paths = ['orgs', 'registry/overrides']
  for (const { id } of orgs.orgs) {
    paths.push(`orgs/${id}/keys`, `orgs/${id}/events?limit=1000`, `orgs/${id}/models`, `orgs/${id}/providers/azure`, `orgs/${id}/recommendations`, `orgs/${id}/routing/versions`)
  }
  for (const path of paths) {
    const [a, b] = await Promise.all([onSqlite.api(path), onPostgres.api(path)])
    expect({ path, status: b.status, body: await b.json() }).toEqual({ path, status: a.status, body: await a.json() })
  }
}, 60_000)

test("the file's org key works on the copy, and its requests are stored there", async () => {
  up.script = () => chatJson({ model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })
  const res = await fetch(`${onPostgres.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-lectr-key': orgKey, authorization: 'Bearer pk', 'content-type': 'application/json' },
    body: '{"model":"gpt-4o-mini","messages":[]}',
  })
  expect(res.status).toBe(200)
  const id = res.headers.get('x-lectr-request-id')!
  await res.text()
  const listed = (await (await onPostgres.api('orgs/default/events?limit=5')).json()) as { events: { id: string }[] }
  expect(listed.events.map((e) => e.id)).toContain(id)
}, 30_000)
