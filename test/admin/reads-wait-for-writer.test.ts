/**
 * Reads never write the event log themselves (issue 18): the admin API and the dashboard await the writer
 * (`eventsWritten`), which stores every event queued before the read on its own next turn. Over real sockets: a read
 * sent right after requests were answered includes every one of them, and no read called the writer's flush.
 */
import { afterAll, beforeAll, expect, spyOn, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'
import { startLectr } from '../helpers/lectr'

let up: FakeUpstream
beforeAll(() => {
  up = new FakeUpstream()
})
afterAll(() => up.stop())

test('a read right after requests were answered includes every one of them; the read itself writes nothing', async () => {
  const lectr = await startLectr(up)
  const writer = lectr.running.writer
  const flush = spyOn(writer, 'flush')
  const waited = spyOn(writer, 'whenWritten')
  try {
    for (let round = 0; round < 3; round++) {
      // Answered at once, in parallel; their events are queued, and the read follows without a pause.
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) => lectr.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: `hi ${round} ${i}` }] })),
      )
      const ids = await Promise.all(answers.map(async (res) => (await res.text(), res.headers.get('x-lectr-request-id')!)))
      const listed = await answerOf(await lectr.api('orgs/default/events?limit=1000'), 'events')
      const seen = new Set(listed.events.map((e) => e.id))
      expect(ids.filter((id) => !seen.has(id))).toEqual([])
      const models = await answerOf(await lectr.api('orgs/default/models'), 'models')
      expect(models.rows.reduce((n, r) => n + r.requests, 0)).toBe(25 * (round + 1))
    }
    expect(flush).not.toHaveBeenCalled()
    expect(waited.mock.calls.length).toBeGreaterThanOrEqual(6)
  } finally {
    flush.mockRestore()
    waited.mockRestore()
    await lectr.stop()
  }
})

test('with the event log off, reads answer at once with nothing', async () => {
  const lectr = await startLectr(up, { eventLog: false })
  try {
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] })
    await res.text()
    const listed = await answerOf(await lectr.api('orgs/default/events'), 'events')
    expect(listed.events).toEqual([])
  } finally {
    await lectr.stop()
  }
})
