import { afterAll, beforeAll, expect, test } from 'bun:test'
import { FakeUpstream, sse } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { rawConnect, requestHead } from '../helpers/raw-socket'

// The provider's answer headers reach the client as the provider sent them: in its order and its case (a copy of the
// Headers object, instead of editing fetch's own, would send them sorted and lower-cased).

let up: FakeUpstream
let lectr: TestLectr

/** Answer headers in an order no sorting gives, one of them in mixed case. */
function providerHeaders(contentType: string): Headers {
  const h = new Headers()
  h.append('zeta-request-id', 'req_1')
  h.append('content-type', contentType)
  h.append('Openai-Processing-Ms', '42')
  h.append('alpha-ratelimit', '99')
  return h
}

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (_req, rec) => {
    if (JSON.parse(rec.body).stream) {
      const streamed = sse([{ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [] }, 'data: [DONE]\n\n'])
      return new Response(streamed.body, { headers: providerHeaders('text/event-stream') })
    }
    const body = JSON.stringify({ id: 'x', object: 'chat.completion', model: 'gpt-4o', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })
    return new Response(body, { headers: providerHeaders('application/json') })
  }
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

async function answerHead(stream: boolean): Promise<string[]> {
  const body = JSON.stringify({ model: 'gpt-4o', messages: [], stream })
  const head = requestHead('POST', '/v1/chat/completions', {
    host: 'lectr', 'x-lectr-key': lectr.orgKey, 'content-type': 'application/json', 'content-length': body.length, connection: 'close',
  })
  const client = await rawConnect(lectr.url, head + body)
  await client.closed
  return client.received().split('\r\n\r\n')[0]!.split('\r\n').slice(1).map((line) => line.slice(0, line.indexOf(':')))
}

for (const stream of [false, true]) {
  test(`${stream ? 'a streamed' : 'a whole'} answer's headers keep the provider's order and case`, async () => {
    const names = await answerHead(stream)
    expect(names).toContain('Openai-Processing-Ms')
    const providers = names.filter((n) => ['zeta-request-id', 'Openai-Processing-Ms', 'alpha-ratelimit'].includes(n))
    expect(providers).toEqual(['zeta-request-id', 'Openai-Processing-Ms', 'alpha-ratelimit'])
  })
}
