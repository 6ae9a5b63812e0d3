import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { SEED_MODELS } from '../registry/seed-models'

// One fake per provider, so where a request lands proves what Lectr detected.
const fakes: Record<string, FakeUpstream> = {}
let lectr: TestLectr
let client: OpenAI

beforeAll(async () => {
  for (const p of ['openai', 'anthropic', 'groq', 'gemini']) {
    fakes[p] = new FakeUpstream()
    fakes[p].script = (_req, rec) => chatJson({ model: JSON.parse(rec.body).model })
  }
  lectr = await startLectr(fakes.openai, {}, {
    LECTR_ANTHROPIC_BASE_URL: fakes.anthropic.baseUrl,
    LECTR_GROQ_BASE_URL: fakes.groq.baseUrl.replace('/v1', '/openai/v1'),
    LECTR_GEMINI_BASE_URL: fakes.gemini.baseUrl.replace('/v1', '/v1beta/openai'),
  })
  client = new OpenAI({ baseURL: `${lectr.url}/v1`, apiKey: 'sk-client-own-key', defaultHeaders: { 'X-Lectr-Key': lectr.orgKey } })
})
afterAll(async () => {
  await lectr.stop()
  for (const f of Object.values(fakes)) f.stop()
})

const PATHS: Record<string, string> = {
  openai: '/v1/chat/completions',
  anthropic: '/v1/chat/completions',
  groq: '/openai/v1/chat/completions',
  gemini: '/v1beta/openai/chat/completions',
}

async function send(model: string, headers: Record<string, string> = {}) {
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'hi' }] }, { headers })
    .withResponse()
  return { data, provider: response.headers.get('x-lectr-provider'), id: response.headers.get('x-lectr-request-id') }
}

describe('detection through the official SDK', () => {
  test('every row of the supported-models seed goes to its provider, detected exactly', async () => {
    for (const row of SEED_MODELS) {
      const before = fakes[row.provider].received.length
      const r = await send(row.id)
      expect(r.provider).toBe(row.provider)
      expect(fakes[row.provider].received.length).toBe(before + 1)
      const got = fakes[row.provider].last
      expect(got.url.pathname).toBe(PATHS[row.provider])
      expect(got.headers.get('authorization')).toBe('Bearer sk-client-own-key')
      const e = lectr.events().at(-1)
      expect(e.id).toBe(r.id)
      expect(e).toMatchObject({ provider: row.provider, detection: 'exact', provider_unknown: 0, model: row.id })
    }
  })

  test('unlisted newer models are detected by the longest prefix', async () => {
    for (const [model, provider] of [
      ['claude-sonnet-9-20990101', 'anthropic'],
      ['gpt-6', 'openai'],
      ['o5-mini', 'openai'],
      ['gemini-3-pro', 'gemini'],
      ['llama-4-scout', 'groq'],
    ] as const) {
      const r = await send(model)
      expect(r.provider).toBe(provider)
      const e = lectr.events().at(-1)
      expect(e).toMatchObject({ provider, detection: 'prefix', provider_unknown: 0 })
    }
  })

  test('an unknown model falls back to openai, flagged, never blocked', async () => {
    const r = await send('my-local-model')
    expect(r.provider).toBe('openai')
    expect(lectr.events().at(-1)).toMatchObject({ provider: 'openai', detection: 'fallback', provider_unknown: 1, cost_usd: null })
  })

  test('X-Lectr-Provider overrides detection, in any case', async () => {
    const r = await send('gpt-4o', { 'X-Lectr-Provider': 'Groq' })
    expect(r.provider).toBe('groq')
    expect(lectr.events().at(-1)).toMatchObject({ provider: 'groq', detection: 'header', provider_unknown: 0, cost_usd: null })
  })
})
