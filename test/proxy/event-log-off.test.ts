import { expect, test } from 'bun:test'
import { chatJson, FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { startLectr } from '../helpers/lectr'
import { openaiAnswerOf } from '../helpers/json'

test('with the event log off (LECTR_EVENT_LOG=0) Lectr still proxies whole answers and streams, and records nothing', async () => {
  const up = new FakeUpstream()
  const lectr = await startLectr(up, { eventLog: false })
  try {
    up.script = () => chatJson()
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] })
    expect(res.status).toBe(200)
    expect((await openaiAnswerOf(res, 'chat')).choices).toBeDefined()
    up.script = () => sse(openaiChatStream(3, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 }))
    const stream = await lectr.post('chat/completions', { model: 'gpt-4o', stream: true, messages: [] })
    expect(await stream.text()).toContain('[DONE]')
    // the deferred metering of the whole answer runs at the next turn, with no event to fill: nothing may appear
    await new Promise((resolve) => setImmediate(resolve))
    expect(lectr.events()).toEqual([])
  } finally {
    await lectr.stop()
  }
})
