import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { answerOf, errorOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'

/**
 * A registry file written without provider entries, or with only some: Lectr starts with it, every provider keeps
 * its module's prefixes, and requests go where they always went (here: fake upstreams via the base-URL settings).
 */
let up: FakeUpstream
let groq: FakeUpstream
let lectr: TestLectr
let dir: string
let file: string

beforeAll(async () => {
  up = new FakeUpstream()
  groq = new FakeUpstream()
  for (const u of [up, groq]) {
    u.script = (_req, rec) => chatJson({ model: JSON.parse(rec.body).model, usage: { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 } })
  }
  dir = mkdtempSync(join(tmpdir(), 'lectr-bare-reg-'))
  file = join(dir, 'registry.json')
  writeFileSync(file, JSON.stringify({ version: 'bare-1', models: [{ id: 'acme-large', provider: 'groq', price: { input: 7, output: 9 } }] }))
  lectr = await startLectr(up, { registry: file }, { LECTR_GROQ_BASE_URL: groq.baseUrl })
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
  groq.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function send(model: string): Promise<Response> {
  const res = await lectr.post('chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] })
  await res.text()
  return res
}

describe('a registry file without a "providers" key', () => {
  test('is in force, without errors', async () => {
    const body = await answerOf(await lectr.api('registry'), 'registry')
    expect(body.status).toMatchObject({ source: file, version: 'bare-1', lastError: null })
    expect(body.providers).toBeUndefined()
  })

  test("detects by the modules' default prefixes and sends each provider's requests to its base URL", async () => {
    const before = { up: up.received.length, groq: groq.received.length }
    expect((await send('llama-9-unlisted')).headers.get('x-lectr-provider')).toBe('groq')
    expect((await send('claude-9-unlisted')).headers.get('x-lectr-provider')).toBe('anthropic')
    expect((await send('gpt-9-unlisted')).headers.get('x-lectr-provider')).toBe('openai')
    expect(groq.received.length - before.groq).toBe(1)
    expect(groq.last.url.pathname).toBe('/v1/chat/completions')
    expect(JSON.parse(groq.last.body).model).toBe('llama-9-unlisted')
    expect(up.received.length - before.up).toBe(2)
    const events = lectr.events().slice(-3)
    expect(events.map((e) => [e.model, e.provider, e.detection, e.provider_unknown])).toEqual([
      ['llama-9-unlisted', 'groq', 'prefix', 0],
      ['claude-9-unlisted', 'anthropic', 'prefix', 0],
      ['gpt-9-unlisted', 'openai', 'prefix', 0],
    ])
  })

  test('prices the models it lists under a provider it does not name', async () => {
    expect((await send('acme-large')).status).toBe(200)
    expect(lectr.events().at(-1)).toMatchObject({ model: 'acme-large', provider: 'groq', detection: 'exact', cost_usd: 7, registry_version: 'bare-1' })
    expect(JSON.parse(groq.last.body).model).toBe('acme-large')
  })

  test('a reload to a file overriding one provider\'s prefixes moves only those; an unknown provider id is refused', async () => {
    writeFileSync(file, JSON.stringify({ version: 'bare-2', providers: [{ id: 'groq', prefixes: ['acme-'] }], models: [] }))
    expect((await lectr.api('registry/reload', { method: 'POST' })).status).toBe(200)
    expect((await send('acme-small')).headers.get('x-lectr-provider')).toBe('groq')
    expect((await send('claude-9-unlisted')).headers.get('x-lectr-provider')).toBe('anthropic')
    expect((await send('llama-9-unlisted')).headers.get('x-lectr-provider')).toBe('openai')
    expect(lectr.events().at(-1)).toMatchObject({ provider: 'openai', detection: 'fallback', provider_unknown: 1 })

    writeFileSync(file, JSON.stringify({ version: 'bare-3', providers: [{ id: 'mistral', baseUrl: 'https://api.mistral.ai/v1' }], models: [] }))
    const refused = await lectr.api('registry/reload', { method: 'POST' })
    expect(refused.status).toBe(422)
    expect((await errorOf(refused)).error.problems).toEqual([`${file}: /providers/0/id: Expected one of "openai", "anthropic", "groq", "gemini", "azure"`])
    expect((await answerOf(await lectr.api('registry'), 'registry')).version).toBe('bare-2')
  })
})
