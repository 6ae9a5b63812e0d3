import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import type { TestLectr } from '../helpers/lectr'
import { watchContentFilter } from '../../src/providers/azure'
import { azureChatJson, azureClient, azureStreamScript, eventOf, startWithAzure } from './_azure'

// Cost without configuration: the request names a deployment, Azure's answer names the base model, and the event
// is priced by that name through the registry. Prices by hand (USD per 1M tokens, the built-in registry):
//   gpt-4o        input 2.50  cached 1.25   output 10.00
//   gpt-4o-mini   input 0.15  cached 0.075  output 0.60
//   gpt-3.5-turbo input 0.50  (no cached price: cached tokens cost the input price)  output 1.50

let fake: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  fake = new FakeUpstream()
  lectr = await startWithAzure(fake, '2024-10-21')
})
afterAll(async () => {
  await lectr.stop()
  fake.stop()
})

const usage = (input: number, cached: number, output: number) => ({
  prompt_tokens: input,
  completion_tokens: output,
  total_tokens: input + output,
  prompt_tokens_details: { cached_tokens: cached },
})

const rows: [string, string, ReturnType<typeof usage>, number][] = [
  ['my-prod-deployment', 'gpt-4o-2024-08-06', usage(1200, 200, 345), (1000 * 2.5 + 200 * 1.25 + 345 * 10) / 1e6],
  ['cheap-one', 'gpt-4o-mini-2024-07-18', usage(50_000, 10_000, 2_000), (40_000 * 0.15 + 10_000 * 0.075 + 2_000 * 0.6) / 1e6],
  ['legacy', 'gpt-35-turbo', usage(3_000, 1_000, 700), (3_000 * 0.5 + 700 * 1.5) / 1e6],
]

describe('priced by the model Azure names, with no mapping configured', () => {
  test.each(rows)('deployment %s answered as %s', async (deployment, responseModel, u, cost) => {
    fake.script = () => azureChatJson({ model: responseModel, usage: u })
    const { data, response } = await azureClient(lectr).chat.completions.create({ model: deployment, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    expect(data.model).toBe(responseModel)
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event.model).toBe(deployment)
    expect(event.response_model).toBe(responseModel)
    expect(event.input_tokens).toBe(u.prompt_tokens)
    expect(event.cached_input_tokens).toBe(u.prompt_tokens_details.cached_tokens)
    expect(event.output_tokens).toBe(u.completion_tokens)
    expect(event.cost_usd).toBeCloseTo(cost, 12)
    expect(event.cost_usd).toBeGreaterThan(0)
  })

  test.each(rows)('streamed: deployment %s answered as %s', async (deployment, responseModel, u, cost) => {
    fake.script = azureStreamScript({ model: responseModel, usage: u })
    const { data: stream, response } = await azureClient(lectr).chat.completions.create({ model: deployment, stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse()
    for await (const _ of stream) void _
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event.response_model).toBe(responseModel)
    expect(event.cost_usd).toBeCloseTo(cost, 12)
  })

  test('a model the registry does not know: cost is null (pricing unavailable), never 0', async () => {
    fake.script = () => azureChatJson({ model: 'phi-4-mini-2025', usage: usage(10, 0, 5) })
    const { response } = await azureClient(lectr).chat.completions.create({ model: 'custom', messages: [] }).withResponse()
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event.response_model).toBe('phi-4-mini-2025')
    expect(event.input_tokens).toBe(10)
    expect(event.cost_usd).toBeNull()
  })
})

describe('content filter refusals pass through unchanged and are recorded with their code', () => {
  test('a completion ended by the output filter (200, finish_reason content_filter)', async () => {
    let sentBody = ''
    fake.script = async () => {
      const r = azureChatJson({ model: 'gpt-4o-2024-08-06', usage: usage(20, 0, 0), finishReason: 'content_filter', content: null })
      sentBody = await r.clone().text()
      return r
    }
    const res = await lectr.post('chat/completions', { model: 'prod', messages: [{ role: 'user', content: 'x' }] }, { 'x-lectr-provider': 'azure' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(sentBody)
    const event = await eventOf(lectr, res.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ status: 200, error_code: 'content_filter', response_model: 'gpt-4o-2024-08-06', input_tokens: 20 })
    expect(event.cost_usd).toBeCloseTo((20 * 2.5) / 1e6, 12)

    // and through the SDK: the choice arrives as Azure sent it
    const out = await azureClient(lectr).chat.completions.create({ model: 'prod', messages: [] })
    expect(out.choices[0]!.finish_reason).toBe('content_filter')
    expect((out.choices[0] as any).content_filter_results.violence).toEqual({ filtered: true, severity: 'high' })
  })

  test('a stream ended by the output filter', async () => {
    fake.script = azureStreamScript({ usage: usage(20, 0, 3), finishReason: 'content_filter' })
    const { data: stream, response } = await azureClient(lectr).chat.completions.create({ model: 'prod', stream: true, messages: [] }).withResponse()
    const reasons: (string | null)[] = []
    for await (const c of stream) for (const ch of c.choices) reasons.push(ch.finish_reason ?? null)
    expect(reasons).toContain('content_filter')
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ status: 200, error_code: 'content_filter', input_tokens: 20, output_tokens: 3 })
  })

  test('a prompt blocked by the input filter (400, code content_filter, innererror): body unchanged, recorded as content_filter', async () => {
    const azureError = {
      error: {
        message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: {
            hate: { filtered: false, severity: 'safe' },
            jailbreak: { filtered: true, detected: true },
            self_harm: { filtered: false, severity: 'safe' },
            sexual: { filtered: false, severity: 'safe' },
            violence: { filtered: false, severity: 'safe' },
          },
        },
      },
    }
    const raw = JSON.stringify(azureError)
    fake.script = () => new Response(raw, { status: 400, headers: { 'content-type': 'application/json', 'apim-request-id': 'abc-123' } })
    const res = await lectr.post('chat/completions', { model: 'prod', messages: [{ role: 'user', content: 'x' }] }, { 'x-lectr-provider': 'azure' })
    expect(res.status).toBe(400)
    expect(res.headers.get('apim-request-id')).toBe('abc-123')
    expect(await res.text()).toBe(raw)
    const event = await eventOf(lectr, res.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ status: 400, error_code: 'content_filter', input_tokens: null })

    const err = (await azureClient(lectr).chat.completions.create({ model: 'prod', messages: [] }).catch((e) => e)) as any
    expect(err.status).toBe(400)
    expect(err.code).toBe('content_filter')
    expect(err.error.innererror.code).toBe('ResponsibleAIPolicyViolation')
  })

  test('an ordinary answer is not mistaken for a refusal, even when its text talks about content_filter', async () => {
    fake.script = () =>
      azureChatJson({ model: 'gpt-4o-2024-08-06', usage: usage(5, 0, 5), content: 'Azure sets "finish_reason": "content_filter" when it blocks.' })
    const { response } = await azureClient(lectr).chat.completions.create({ model: 'prod', messages: [] }).withResponse()
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event.error_code).toBeNull()
  })
})

describe('watchContentFilter (pure)', () => {
  const inner = () => {
    const pushed: Uint8Array[] = []
    return {
      pushed,
      meter: {
        push: (c: Uint8Array) => (pushed.push(c), c),
        flush: () => null,
        finish: () => ({ usage: null, estimated: false, responseModel: null, errorCode: null as string | null }),
      },
    }
  }
  const enc = new TextEncoder()
  test('finds the finish reason split across any two chunks, passes every chunk on untouched', () => {
    const text = 'data: {"choices":[{"delta":{},"finish_reason" : "content_filter","index":0}]}\n\n'
    for (let cut = 1; cut < text.length; cut++) {
      const { meter, pushed } = inner()
      const w = watchContentFilter(meter)
      const a = enc.encode(text.slice(0, cut))
      const b = enc.encode(text.slice(cut))
      expect(w.push(a)).toBe(a)
      expect(w.push(b)).toBe(b)
      expect(pushed).toEqual([a, b])
      expect(w.finish(true).errorCode).toBe('content_filter')
    }
  })
  test('an error the meter found wins; no match, no code', () => {
    const { meter } = inner()
    meter.finish = () => ({ usage: null, estimated: false, responseModel: null, errorCode: 'server_error' })
    const w = watchContentFilter(meter)
    w.push(enc.encode('{"finish_reason":"content_filter"}'))
    expect(w.finish(true).errorCode).toBe('server_error')
    const w2 = watchContentFilter(inner().meter)
    w2.push(enc.encode('{"finish_reason":"stop","content":"\\"finish_reason\\":\\"content_filter\\""}'))
    expect(w2.finish(true).errorCode).toBeNull()
  })
})
