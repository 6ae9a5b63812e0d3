import { describe, expect, test } from 'bun:test'
import { SETTINGS, parseConfig } from '../../src/config'
import { BASE_URL_SETTINGS, OVERRIDE_ENV, PROVIDER_IDS, PROVIDER_LIST, PROVIDERS } from '../../src/providers'
import { baseUrlSettings, baseUrlsSchema, overrideEnvs, providerIds, providersByName } from '../../src/providers/derive'
import builtinData from '../../src/registry/builtin.json'
import { detectProvider } from '../../src/registry/detect'
import { validateRegistry } from '../../src/registry/load'
import type { Registry, ResolvedProvider } from '../../src/registry/schema'
import { providersInForce } from '../../src/dashboard/registry'
import { providerLabel } from '../../views/format'
import { mistral } from './fixtures/mistral'

function load(data: unknown, list?: Parameters<typeof validateRegistry>[2]): Registry {
  const result = validateRegistry(data, 'reg.json', list)
  if (!result.ok) throw new Error(result.errors.join('\n'))
  return result.registry
}

/** A provider of a registry built from a longer list than src's (the fixture's sixth): its id is any string. */
type ListedProvider = Omit<ResolvedProvider, 'id'> & { readonly id: string }

const { providers: builtinProviders, ...builtinWithoutProviders } = builtinData as { providers: { id: string; baseUrl?: string; prefixes: string[] }[] }

describe('src/providers is the only list', () => {
  test('the ids, in the order the dashboard shows them', () => {
    expect([...PROVIDER_IDS]).toEqual(['openai', 'anthropic', 'groq', 'gemini', 'azure'])
    for (const id of PROVIDER_IDS) expect(PROVIDERS[id].id).toBe(id)
  })

  test("the built-in registry's provider entries are the modules' defaults (kept in the file, not needed there)", () => {
    for (const entry of builtinProviders) {
      const module = PROVIDERS[entry.id as keyof typeof PROVIDERS]
      expect({ id: entry.id, baseUrl: entry.baseUrl ?? null, prefixes: entry.prefixes }).toEqual({ id: module.id, baseUrl: module.baseUrl, prefixes: [...module.prefixes] })
    }
  })

  test('no two modules claim the same default prefix', () => {
    const all = PROVIDER_LIST.flatMap((p) => p.prefixes)
    expect(all.length).toBe(new Set(all).size)
  })

  test('the base-URL settings are the ones Lectr always had: same keys, flags, variables, help and place', () => {
    const rows = SETTINGS.filter((s) => s.key.startsWith('baseUrls.'))
    expect(rows.map((s) => [s.key, s.flag, s.env, s.default, s.help])).toEqual([
      ['baseUrls.openai', '--openai-base-url', 'LECTR_OPENAI_BASE_URL', null, "override OpenAI's upstream base URL (with /v1)"],
      ['baseUrls.anthropic', '--anthropic-base-url', 'LECTR_ANTHROPIC_BASE_URL', null, "override Anthropic's upstream base URL"],
      ['baseUrls.groq', '--groq-base-url', 'LECTR_GROQ_BASE_URL', null, "override Groq's upstream base URL"],
      ['baseUrls.gemini', '--gemini-base-url', 'LECTR_GEMINI_BASE_URL', null, "override Gemini's upstream base URL"],
    ])
    expect(rows).toEqual(BASE_URL_SETTINGS)
    const at = SETTINGS.findIndex((s) => s.key === 'baseUrls.openai')
    expect(SETTINGS[at - 1]!.key).toBe('adminToken')
    expect(SETTINGS[at + 4]!.key).toBe('allowPrivateUpstreams')
    expect(Object.fromEntries(OVERRIDE_ENV)).toEqual({
      openai: 'LECTR_OPENAI_BASE_URL', anthropic: 'LECTR_ANTHROPIC_BASE_URL', groq: 'LECTR_GROQ_BASE_URL', gemini: 'LECTR_GEMINI_BASE_URL',
    })
  })

  test('labels come from the modules; an unknown id, or one of Object’s own keys, is shown as it is', () => {
    expect(PROVIDER_IDS.map(providerLabel)).toEqual(['OpenAI', 'Anthropic', 'Groq', 'Google Gemini', 'Azure OpenAI'])
    expect(['mistral', 'constructor', '__proto__', 'toString'].map(providerLabel)).toEqual(['mistral', 'constructor', '__proto__', 'toString'])
  })

  test('the endpoints a routing rule may send each provider to are the ones routing always had', () => {
    const served = Object.fromEntries(PROVIDER_LIST.map((p) => [p.id, [...p.serves].sort()]))
    expect(served).toEqual({
      openai: ['chat/completions', 'completions', 'embeddings', 'responses'],
      anthropic: ['chat/completions', 'messages', 'messages/count_tokens'],
      groq: ['chat/completions'],
      gemini: ['chat/completions', 'embeddings'],
      azure: ['chat/completions', 'completions', 'embeddings', 'responses'],
    })
  })
})

describe("a registry file's provider entries are optional overrides", () => {
  test('a file with no "providers" key loads, with every provider at its module\'s base URL and prefixes', () => {
    const registry = load(builtinWithoutProviders)
    const builtin = load(builtinData)
    expect([...registry.providers.values()]).toEqual([...builtin.providers.values()])
    expect(registry.prefixes).toEqual(builtin.prefixes)
    expect(registry.providers.get('gemini')!.baseUrl).toBe('https://generativelanguage.googleapis.com/v1beta/openai')
    expect(registry.providers.get('azure')!.baseUrl).toBeUndefined()
    expect(detectProvider(registry, 'llama-9-unlisted', null)).toMatchObject({ ok: true, provider: 'groq', detection: 'prefix' })
    expect(detectProvider(registry, 'x', 'AZURE')).toMatchObject({ ok: true, provider: 'azure', detection: 'header' })
  })

  test('"providers": [] and a file naming only some providers load too; models of a provider not named are fine', () => {
    expect(load({ version: 'v', providers: [], models: [] }).providers.size).toBe(5)
    const registry = load({
      version: 'v',
      providers: [{ id: 'groq', baseUrl: 'https://egress.example/groq/v1' }],
      models: [{ id: 'gemini-9-pro', provider: 'gemini', price: { input: 1, output: 2 } }],
    })
    expect(registry.providers.get('groq')).toEqual({ id: 'groq', baseUrl: 'https://egress.example/groq/v1', prefixes: [...PROVIDERS.groq.prefixes] })
    expect(registry.providers.get('openai')!.baseUrl).toBe('https://api.openai.com/v1')
    expect(detectProvider(registry, 'gemini-9-pro', null)).toMatchObject({ provider: 'gemini', detection: 'exact' })
  })

  test("an entry's prefixes replace its module's; a prefix given to another provider leaves the module's defaults", () => {
    const registry = load({ version: 'v', providers: [{ id: 'groq', prefixes: ['gpt-', 'acme-'] }], models: [] })
    expect(registry.providers.get('groq')!.prefixes).toEqual(['gpt-', 'acme-'])
    expect(registry.providers.get('openai')!.prefixes).not.toContain('gpt-')
    expect(detectProvider(registry, 'gpt-4o', null)).toMatchObject({ provider: 'groq', detection: 'prefix' })
    expect(detectProvider(registry, 'llama-3', null)).toMatchObject({ provider: 'openai', detection: 'fallback' })
    expect(detectProvider(registry, 'o3-mini', null)).toMatchObject({ provider: 'openai', detection: 'prefix' })
  })

  test('a file naming an unknown provider is still an error, in an entry or in a model', () => {
    const result = validateRegistry({ version: 'v', providers: [{ id: 'mistral' }], models: [{ id: 'm', provider: 'mistral', price: null }] }, 'reg.json')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toEqual([
      'reg.json: /providers/0/id: Expected one of "openai", "anthropic", "groq", "gemini", "azure"',
      'reg.json: /models/0/provider: Expected one of "openai", "anthropic", "groq", "gemini", "azure"',
    ])
  })

  test('the Registry page lists every provider, with the module default where the file says nothing', () => {
    const registry = load({ version: 'v', models: [] })
    const shown = providersInForce(registry.providers.values(), { openai: null, anthropic: 'http://egress:3128/v1', groq: null, gemini: null })
    expect(shown.map((p) => [p.id, p.baseUrl, p.overriddenBy])).toEqual([
      ['openai', 'https://api.openai.com/v1', null],
      ['anthropic', 'http://egress:3128/v1', 'LECTR_ANTHROPIC_BASE_URL'],
      ['groq', 'https://api.groq.com/openai/v1', null],
      ['gemini', 'https://generativelanguage.googleapis.com/v1beta/openai', null],
      ['azure', null, null],
    ])
  })
})

describe('a sixth OpenAI-compatible provider: one module and one line in the list', () => {
  // What src/providers/index.ts would hold after the one-line change.
  const list = [...PROVIDER_LIST, mistral] as const

  test('its id, label and base-URL setting row', () => {
    expect(providerIds(list)).toEqual([...PROVIDER_IDS, 'mistral'])
    expect(providersByName(list).get('mistral')!.label).toBe('Mistral AI')
    expect(baseUrlSettings(list).at(-1)).toEqual({
      key: 'baseUrls.mistral', flag: '--mistral-base-url', env: 'LECTR_MISTRAL_BASE_URL', kind: 'string', default: null, help: "override Mistral AI's upstream base URL",
    })
    expect(Object.keys(baseUrlsSchema(list).properties)).toEqual(['openai', 'anthropic', 'groq', 'gemini', 'mistral'])
    expect(overrideEnvs(list).get('mistral')).toBe('LECTR_MISTRAL_BASE_URL')
  })

  test('a registry file written before it (the built-in one) loads, and detects its models by its default prefixes', () => {
    const registry = load(builtinData, list)
    expect<ListedProvider | undefined>(registry.providers.get('mistral' as never)).toEqual({ id: 'mistral', baseUrl: 'https://api.mistral.ai/v1', prefixes: ['mistral-', 'codestral-', 'magistral-'] })
    expect(detectProvider(registry, 'mistral-large-latest', null)).toMatchObject({ ok: true, provider: 'mistral', detection: 'prefix' })
    expect(detectProvider(registry, 'gpt-4o', 'Mistral')).toMatchObject({ ok: true, provider: 'mistral', detection: 'header' })
    expect(detectProvider(registry, 'gpt-4o', 'nope')).toMatchObject({ ok: false, message: expect.stringContaining('valid values: openai anthropic groq gemini azure mistral') })
    // The same file, without a single provider entry, loads as well.
    expect(load(builtinWithoutProviders, list).prefixes).toEqual(registry.prefixes)
  })

  test('a file can price its models and override it; the real list still refuses it', () => {
    const file = { version: 'v', providers: [{ id: 'mistral', baseUrl: 'https://eu.mistral.example/v1' }], models: [{ id: 'mistral-small-3', provider: 'mistral', price: { input: 0.1, output: 0.3 } }] }
    const registry = load(file, list)
    expect(registry.providers.get('mistral' as never)!.baseUrl).toBe('https://eu.mistral.example/v1')
    expect(detectProvider(registry, 'mistral-small-3', null)).toMatchObject({ provider: 'mistral', detection: 'exact' })
    expect(validateRegistry(file, 'reg.json').ok).toBe(false)
  })

  test('routing may send it the endpoints it serves; requests go to its base URL with the client\'s path', () => {
    expect([...mistral.serves]).toEqual(['chat/completions', 'embeddings'])
    expect(mistral.asksForStreamUsage('chat/completions')).toBe(false)
    expect(mistral.target({ baseUrl: 'https://api.mistral.ai/v1', path: '/chat/completions', search: '', model: 'mistral-small-3', providerKey: 'k' })).toEqual({
      url: 'https://api.mistral.ai/v1/chat/completions', setHeaders: {}, removeHeaders: [],
    })
  })

  test('listing a provider twice is a build bug, caught at start', () => {
    expect(() => providersByName([...PROVIDER_LIST, mistral, mistral])).toThrow('provider "mistral" is listed twice')
  })

  test('the real config still parses as before (no mistral setting exists)', () => {
    const parsed = parseConfig(['--mistral-base-url=https://x/v1'], {})
    expect(parsed).toMatchObject({ ok: false, errors: ['unknown flag "--mistral-base-url=https://x/v1" (see --help)'] })
  })
})
