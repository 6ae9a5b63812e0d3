import { afterAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { startLectr } from '../helpers/lectr'

const up = new FakeUpstream()
afterAll(() => up.stop())

test('a stream cut by the drain deadline is recorded as lectr_shutdown with the upstream status, not as a client that left', async () => {
  const lectr = await startLectr(up, { drainSeconds: 0.5 })
  try {
    // 40 chunks 100 ms apart: far longer than the drain lets it run
    up.script = () => sse(openaiChatStream(40, { prompt_tokens: 5, completion_tokens: 40, total_tokens: 45 }), { delayMs: 100 })
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    await reader.read()
    const draining = lectr.running.drain()
    let text = ''
    const ended = await (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return 'ended'
          text += new TextDecoder().decode(value)
        }
      } catch {
        return 'cut'
      }
    })()
    await draining
    // the client saw it cut short, not a whole stream
    expect(text).not.toContain('[DONE]')
    expect(['cut', 'ended']).toContain(ended)
    const db = new Database(lectr.dbPath, { readonly: true })
    const events = db.query('SELECT status, error_code, stream, usage_estimated, output_tokens FROM events').all() as any[]
    db.close()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ status: 200, error_code: 'lectr_shutdown', stream: 1, usage_estimated: 1 })
    expect(events[0].output_tokens).toBeGreaterThan(0)
  } finally {
    await lectr.stop()
  }
})

test('a request still waiting for the provider when the drain deadline passes is recorded as 499 lectr_shutdown', async () => {
  const lectr = await startLectr(up, { drainSeconds: 0.3 })
  try {
    up.script = async () => {
      await Bun.sleep(3000)
      return Response.json({ choices: [] })
    }
    const n = up.received.length
    const answer = lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }).then((r) => r.status, () => 'cut')
    while (up.received.length === n) await Bun.sleep(10)
    await lectr.running.drain()
    expect(await answer).toBe('cut')
    const db = new Database(lectr.dbPath, { readonly: true })
    const events = db.query('SELECT status, error_code FROM events').all() as any[]
    db.close()
    expect(events).toEqual([{ status: 499, error_code: 'lectr_shutdown' }])
  } finally {
    await lectr.stop()
  }
})
