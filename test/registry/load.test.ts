import { describe, expect, test } from 'bun:test'
import { parseRegistry } from '../../src/registry/load'
import type { RegistryFile } from '../../src/registry/schema'

/** A small valid file; each test breaks a copy of it. */
function validFile(): RegistryFile {
  return {
    version: 'test-1',
    providers: [
      { id: 'openai', baseUrl: 'https://api.openai.com/v1', prefixes: ['gpt-', 'o1'] },
      { id: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', prefixes: ['claude-'] },
      { id: 'groq', baseUrl: 'https://api.groq.com/openai/v1', prefixes: ['llama-'] },
      { id: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', prefixes: ['gemini-'] },
      { id: 'azure', prefixes: [] },
    ],
    models: [
      { id: 'gpt-4o', provider: 'openai', price: { input: 2.5, cachedInput: 1.25, output: 10 }, downgrade: { conservative: 'gpt-4o-mini' } },
      { id: 'gpt-4o-mini', provider: 'openai', price: { input: 0.15, output: 0.6 } },
      { id: 'claude-x', provider: 'anthropic', price: null },
    ],
  }
}

const parse = (file: unknown) => parseRegistry(JSON.stringify(file), 'reg.json')
const errorsOf = (file: unknown) => {
  const result = parse(file)
  return result.ok ? [] : result.errors
}

describe('parseRegistry', () => {
  test('a valid file builds the lookup tables', () => {
    const result = parse({ ...validFile(), settings: { longPromptTokens: 8000 } })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const { registry } = result
    expect(registry.version).toBe('test-1')
    expect(registry.longPromptTokens).toBe(8000)
    expect(registry.minRequests).toBe(20)
    expect(registry.models.get('gpt-4o-mini')?.provider).toBe('openai')
    expect(registry.providers.get('azure')?.baseUrl).toBeUndefined()
    expect(registry.prefixes.map((p) => p.prefix)).toEqual(['claude-', 'gemini-', 'llama-', 'gpt-', 'o1'])
  })

  test('a byte-order mark is ignored', () => {
    expect(parseRegistry(`\ufeff${JSON.stringify(validFile())}`, 'reg.json').ok).toBe(true)
  })

  test.each([
    ['{\n  "version": "x",\n  "models": }', 'reg.json: invalid JSON at line 3, column 13:'],
    ['', 'reg.json: invalid JSON at line 1, column 1:'],
    ['{"version": "x",}', 'reg.json: invalid JSON at line 1, column 17:'],
    ['{"a": [1, 2}', 'reg.json: invalid JSON at line 1, column 12:'],
    ['{"a": "line\nbreak"}', 'reg.json: invalid JSON at line 1, column 12:'],
    ['{"a": 01}', 'reg.json: invalid JSON at line 1, column 8:'],
    ['{} x', 'reg.json: invalid JSON at line 1, column 4:'],
  ])('JSON syntax error in %p names its position', (text, start) => {
    const result = parseRegistry(text, 'reg.json')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toStartWith(start)
  })

  test('every kind of problem is reported at once', () => {
    const file = validFile() as any
    file.extra = true // schema: unknown property
    file.models[1].price.input = 'cheap' // schema: wrong type inside price (object | null union)
    file.models[2].provider = 'mistral' // schema: not a provider
    file.providers.push({ id: 'groq', baseUrl: 'https://groq.example/v1', prefixes: ['gpt-'] }) // duplicate provider and prefix
    file.providers.splice(3, 1) // gemini missing and a model uses it: fine, src/providers/gemini.ts has the defaults
    file.models.push(
      { id: 'gpt-4o', provider: 'openai', price: null }, // duplicate model
      { id: 'gemini-1', provider: 'gemini', price: null },
      { id: 'a', provider: 'openai', price: null, downgrade: { conservative: 'b', aggressive: 'nowhere' } }, // missing target
      { id: 'b', provider: 'openai', price: null, downgrade: { conservative: 'c' } },
      { id: 'c', provider: 'openai', price: null, downgrade: { conservative: 'a' } }, // cycle a → b → c → a
      { id: 'self', provider: 'openai', price: null, downgrade: { aggressive: 'self' } }, // cycle of one
      { id: 'cross', provider: 'openai', price: null, downgrade: { conservative: 'llama-1' } }, // other provider
      { id: 'llama-1', provider: 'groq', price: null },
      { id: 'az', provider: 'azure', price: null }, // azure models live under openai
      { id: 't', provider: 'openai', price: { input: 1, output: 1, tiers: [
        { aboveInputTokens: 10, input: 2, output: 2 },
        { aboveInputTokens: 10, input: 3, output: 3 },
      ] } },
    )
    delete file.providers[0].baseUrl // openai without a base URL: fine, the module's default

    expect(errorsOf(file)).toEqual([
      'reg.json: /extra: Unexpected property',
      'reg.json: /models/1/price/input: Expected number',
      'reg.json: /models/2/provider: Expected one of "openai", "anthropic", "groq", "gemini", "azure"',
      'reg.json: /providers/4/id: duplicate provider "groq" (also /providers/2)',
      'reg.json: /providers/4/prefixes/0: prefix "gpt-" is listed twice (also openai at /providers/0/prefixes/0)',
      'reg.json: /models/3/id: duplicate model "gpt-4o" (also /models/0)',
      'reg.json: /models/11/provider: azure serves OpenAI\'s models, which it prices with the "openai" entries: list the model under "openai"',
      'reg.json: /models/12/price/tiers/1/aboveInputTokens: 10 is used by two tiers',
      'reg.json: /models/5/downgrade/aggressive: "nowhere" is not a model in this registry',
      'reg.json: /models/9/downgrade/conservative: "llama-1" belongs to groq; downgrades stay within openai',
      'reg.json: /models/5/downgrade: downgrade cycle a → b → c → a',
      'reg.json: /models/8/downgrade: downgrade cycle self → self',
    ])
  })

  test('a downgrade to a more expensive model is allowed (recommendations filter such steps)', () => {
    const file = validFile()
    file.models.push({ id: 'gpt-3.5-x', provider: 'openai', price: { input: 0.01, output: 0.01 }, downgrade: { conservative: 'gpt-4o' } })
    expect(errorsOf(file)).toEqual([])
  })

  test('a file that is not an object at all', () => {
    expect(errorsOf([])).toEqual(['reg.json: /: Expected object'])
  })
})
