import { describe, expect, test } from 'bun:test'
import { builtinRegistry, parseRegistry } from '../../src/registry/load'
import { priceModel } from '../../src/registry/pricing'

// SPEC section 12: every entry says where its price came from and when it was checked; retired models stay
// priced; downgrade targets exist, stay within their provider and never cost more.

const registry = builtinRegistry()
const models = [...registry.models.values()]

describe('built-in registry, SPEC section 12', () => {
  test('the version names the build date', () => {
    expect(registry.version).toBe('builtin-2026-12-07')
  })

  test('every entry has an official https source and a real checked date', () => {
    const official = /^https:\/\/(developers\.openai\.com|platform\.claude\.com|ai\.google\.dev|groq\.com)\//
    for (const m of models) {
      expect([m.id, official.test(m.source ?? '')]).toEqual([m.id, true])
      const date = new Date(`${m.checked}T00:00:00Z`)
      // `checked` is optional in the schema: the pair is typed so that a missing one fails here rather than in tsc
      expect<(string | undefined)[]>([m.id, date.toISOString().slice(0, 10)]).toEqual([m.id, m.checked])
    }
  })

  test('every downgrade target exists, is the same provider, and costs no more on input, cached input or output', () => {
    const pricier: string[] = []
    for (const m of models) {
      for (const target of [m.downgrade?.conservative, m.downgrade?.aggressive]) {
        if (!target) continue
        const to = registry.models.get(target)
        expect([m.id, to?.id, to?.provider]).toEqual([m.id, target, m.provider])
        const a = m.price!
        const b = to!.price!
        if (b.input > a.input || b.output > a.output || (b.cachedInput ?? b.input) > (a.cachedInput ?? a.input)) pricier.push(`${m.id} → ${target}`)
      }
    }
    // the seed's own steps, kept as the seed wrote them (the recommendation engine skips a step that would not save)
    expect(pricier.sort()).toEqual(['gemini-2.0-flash → gemini-1.5-flash', 'o1-mini → gpt-4o', 'o3 → o3-mini'])
  })

  test('no current model downgrades to a retired one', () => {
    const toRetired = models.filter((m) => !m.retired && m.downgrade?.conservative && registry.models.get(m.downgrade.conservative)?.retired)
    // o1 → o1-mini is the seed's own step
    expect(toRetired.map((m) => m.id)).toEqual(['o1'])
  })

  test("the issue's retired models are kept, marked, and still priced", () => {
    for (const id of ['llama-3.1-70b-versatile', 'mixtral-8x7b-32768', 'claude-3-5-sonnet-20241022', 'gemini-2.0-flash', 'claude-opus-4-1-20250805']) {
      const m = registry.models.get(id)
      expect([id, m?.retired, m?.price === null]).toEqual([id, true, false])
    }
    for (const m of models.filter((x) => x.retired)) expect([m.id, m.price]).not.toEqual([m.id, null])
  })

  test.each([
    ['openai', 'gpt-6.2-astra'],
    ['openai', 'gpt-6-luna'],
    ['openai', 'gpt-5.6'],
    ['openai', 'gpt-5.4-nano'],
    ['openai', 'gpt-5-mini'],
    ['openai', 'text-embedding-3-small'],
    ['anthropic', 'claude-opus-5-5'],
    ['anthropic', 'claude-sonnet-5-5'],
    ['anthropic', 'claude-haiku-5-5'],
    ['anthropic', 'claude-opus-4-5-20251101'],
    ['gemini', 'gemini-3.1-pro-preview'],
    ['gemini', 'gemini-2.5-flash-lite'],
    ['gemini', 'models/gemini-3-flash-preview'],
    ['groq', 'openai/gpt-oss-120b'],
    ['groq', 'llama-3.3-70b-versatile'],
    ['azure', 'gpt-6.2-sol'],
  ] as const)('%s %s is priced and a current routing target', (provider, id) => {
    const m = priceModel(registry, provider, null, id)
    expect(m?.price).toBeTruthy()
    expect(m?.retired).toBeUndefined()
    expect(m?.routingTarget).toBe(true)
  })

  test('OpenAI long-context prices: the whole request above 272K input tokens at 2× input and cache, 1.5× output', () => {
    for (const m of models.filter((x) => x.provider === 'openai' && x.price?.tiers)) {
      const p = m.price!
      const round = (x: number) => Math.round(x * 1e4) / 1e4
      expect([m.id, p.tiers]).toEqual([
        m.id,
        [{ aboveInputTokens: 272000, input: round(p.input * 2), cachedInput: round(p.cachedInput! * 2), cacheWrite: round(p.cacheWrite! * 2), output: round(p.output * 1.5) }],
      ])
    }
  })

  test('a registry file with a malformed checked date, a relative source or a non-boolean retired is refused', () => {
    const file = (extra: Record<string, unknown>) =>
      JSON.stringify({
        version: 'v',
        providers: ['openai', 'anthropic', 'groq', 'gemini'].map((id) => ({ id, baseUrl: 'https://x/v1', prefixes: [] })).concat([{ id: 'azure', prefixes: [] } as any]),
        models: [{ id: 'm', provider: 'openai', price: { input: 1, output: 1 }, ...extra }],
      })
    expect(parseRegistry(file({ source: 'https://developers.openai.com/api/docs/pricing', checked: '2026-12-07', retired: true }), 'f').ok).toBe(true)
    for (const bad of [{ checked: '2026-13-01' }, { checked: '07/12/2026' }, { source: '/pricing' }, { retired: 'yes' }, { sourced: 'x' }]) {
      const result = parseRegistry(file(bad), 'f')
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.errors.join('\n')).toContain('/models/0/')
    }
  })
})
