/**
 * Today's model ids of every provider, sent through the official OpenAI SDK to fake providers: each event's cost
 * is the tokens times the provider's official list price. The prices below are typed in from the providers'
 * pages (USD per 1M tokens), not read from builtin.json, so a wrong registry entry fails here.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { FakeUpstream } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { providerScript, type Kind, type Sent } from '../sdk/fake-providers'

/** [provider, model id, input, cached input (null: none published), output] */
const CURRENT: Array<[Kind, string, number, number | null, number]> = [
  ['openai', 'gpt-6.2-astra', 8, 0.4, 40],
  ['openai', 'gpt-6.2-sol', 2, 0.1, 10],
  ['openai', 'gpt-6.1-terra', 1, 0.05, 5],
  ['openai', 'gpt-6.1-sol', 2, 0.1, 10],
  ['openai', 'gpt-6-astra', 10, 1, 50],
  ['openai', 'gpt-6-sol', 2, 0.2, 10],
  ['openai', 'gpt-6-luna', 0.1, 0.01, 0.5],
  ['openai', 'gpt-5.6-sol', 4, 0.4, 20],
  ['openai', 'gpt-5.6-terra', 2, 0.2, 12],
  ['openai', 'gpt-5.6-luna', 0.2, 0.02, 1.2],
  ['openai', 'gpt-5.5', 5, 0.5, 30],
  ['openai', 'gpt-5.5-pro', 30, null, 180],
  ['openai', 'gpt-5.4', 2.5, 0.25, 15],
  ['openai', 'gpt-5.4-mini', 0.75, 0.075, 4.5],
  ['openai', 'gpt-5.4-nano', 0.2, 0.02, 1.25],
  ['openai', 'gpt-5.2', 1.75, 0.175, 14],
  ['openai', 'gpt-5-nano', 0.05, 0.005, 0.4],
  ['openai', 'gpt-4.1-mini', 0.4, 0.1, 1.6],
  ['azure', 'gpt-6.2-sol', 2, 0.1, 10],
  ['azure', 'gpt-5.4-mini', 0.75, 0.075, 4.5],
  ['anthropic', 'claude-fable-5-2', 8, null, 40],
  ['anthropic', 'claude-fable-5-1', 10, null, 50],
  ['anthropic', 'claude-opus-5-5', 4, null, 20],
  ['anthropic', 'claude-opus-5', 5, null, 25],
  ['anthropic', 'claude-opus-4-8', 5, null, 25],
  ['anthropic', 'claude-sonnet-5-5', 2, null, 10],
  ['anthropic', 'claude-sonnet-5', 2, null, 10],
  // 123,457 prompt tokens are above Haiku 5.5's 100K line: the whole request at its long-prompt rates
  ['anthropic', 'claude-haiku-5-5', 0.5, null, 2.5],
  ['anthropic', 'claude-haiku-4-5', 1, null, 5],
  ['gemini', 'gemini-3.1-pro-preview', 2, null, 12],
  ['gemini', 'gemini-3-flash-preview', 0.5, null, 3],
  ['gemini', 'gemini-3.1-flash-lite-preview', 0.25, null, 1.5],
  ['gemini', 'gemini-2.5-flash-lite', 0.1, null, 0.4],
  ['groq', 'openai/gpt-oss-120b', 0.15, null, 0.6],
  ['groq', 'openai/gpt-oss-20b', 0.075, null, 0.3],
  ['groq', 'llama-3.3-70b-versatile', 0.59, null, 0.79],
  ['groq', 'llama-3.1-8b-instant', 0.05, null, 0.08],
  ['groq', 'qwen/qwen3-32b', 0.29, null, 0.59],
]

const fakes = {} as Record<Kind, FakeUpstream>
const sent: Sent[] = []
let lectr: TestLectr
let client: OpenAI

beforeAll(async () => {
  for (const k of ['openai', 'anthropic', 'groq', 'gemini', 'azure'] as Kind[]) fakes[k] = new FakeUpstream()
  lectr = await startLectr(fakes.openai, {}, {
    LECTR_ANTHROPIC_BASE_URL: fakes.anthropic.baseUrl,
    LECTR_GROQ_BASE_URL: fakes.groq.origin + '/openai/v1',
    LECTR_GEMINI_BASE_URL: fakes.gemini.origin + '/v1beta/openai',
  })
  const put = await lectr.api('orgs/default/providers/azure', {
    method: 'PUT',
    body: JSON.stringify({ endpoint: fakes.azure.origin, apiVersion: '2024-10-21' }),
  })
  expect(put.status).toBeLessThan(300)
  client = new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'sk-test-provider-key', maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
})
afterAll(async () => {
  await lectr.stop()
  for (const f of Object.values(fakes)) f.stop()
})

test.each(CURRENT)('%s %s costs tokens × its list price', async (kind, model, input, cached, output) => {
  // Token counts that make every digit of the price count; cached tokens only where the provider reports them.
  const tokens = { prompt: 123_457, completion: 6_789, cached: kind === 'openai' || kind === 'azure' ? 45_678 : 0 }
  fakes[kind].script = providerScript({ kind, tokens }, sent)
  const headers = kind === 'azure' ? { 'X-Lectr-Provider': 'azure' } : undefined
  const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { headers }).withResponse()
  expect(response.status).toBe(200)
  expect(response.headers.get('x-lectr-provider')).toBe(kind)
  const id = response.headers.get('x-lectr-request-id')
  const event = await eventually(() => lectr.events().find((e) => e.id === id))
  // exact decimal arithmetic in integers of 1e-6 USD per 1M tokens, then one division
  const micro = (x: number) => Math.round(x * 1_000_000)
  const uncached = tokens.prompt - tokens.cached
  const expected = (uncached * micro(input) + tokens.cached * micro(cached ?? input) + tokens.completion * micro(output)) / 1e12
  expect({ model, input: event.input_tokens, cached: event.cached_input_tokens, output: event.output_tokens, cost: event.cost_usd }).toEqual({
    model,
    input: tokens.prompt,
    cached: tokens.cached,
    output: tokens.completion,
    cost: Math.round(expected * 1e10) / 1e10,
  })
})
