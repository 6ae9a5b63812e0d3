import { afterAll, beforeAll, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { FakeUpstream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'

let up: FakeUpstream
let lectr: TestLectr
beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

test('the WAL is checkpointed by the worker, not on the request thread', async () => {
  // 200 events are ~100 WAL pages: far below SQLite's own 1,000-page autocheckpoint, so only the worker moves them
  for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 20 }, () => lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }).then((r) => r.text())))
  lectr.running.writer.flush()
  const before = statSync(lectr.dbPath).size
  // the events reach the database file itself within a couple of the worker's 1 s ticks
  await eventually(() => statSync(lectr.dbPath).size > before, 5000)
  expect(lectr.events().length).toBe(200)
})
