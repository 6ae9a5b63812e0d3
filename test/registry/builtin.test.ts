import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { builtinRegistry, parseRegistry } from '../../src/registry/load'
import { PROVIDER_IDS } from '../../src/registry/schema'
import { SEED_MODELS } from './seed-models'

const registry = builtinRegistry()
const builtinText = readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8')

describe('built-in registry', () => {
  test('validates as a registry file', () => {
    const result = parseRegistry(builtinText, 'builtin.json')
    expect(result.ok ? [] : result.errors).toEqual([])
  })

  test('has every provider, with the default base URLs', () => {
    expect([...registry.providers.keys()].sort()).toEqual([...PROVIDER_IDS].sort())
    expect(Object.fromEntries([...registry.providers.values()].map((p) => [p.id, p.baseUrl ?? null]))).toEqual({
      openai: 'https://api.openai.com/v1',
      anthropic: 'https://api.anthropic.com/v1',
      groq: 'https://api.groq.com/openai/v1',
      gemini: 'https://generativelanguage.googleapis.com/v1beta/openai',
      azure: null,
    })
    expect(registry.providers.get('azure')!.prefixes).toEqual([])
  })

  test.each(SEED_MODELS.map((row) => [row.id, row] as const))('seed model %s: provider and downgrade targets', (id, row) => {
    const entry = registry.models.get(id)
    expect(entry?.provider).toBe(row.provider)
    expect(entry?.downgrade?.conservative).toBe(row.conservative)
    expect(entry?.downgrade?.aggressive).toBe(row.aggressive)
    expect(entry?.routingTarget).toBe(true)
    expect(entry?.price).not.toBeNull()
  })

  test('only the seed names an aggressive target', () => {
    const aggressive = [...registry.models.values()].filter((m) => m.downgrade?.aggressive).map((m) => m.id)
    // claude-3-opus-latest is the undated alias of claude-3-opus-20240229 and follows it.
    expect(aggressive).toEqual(['claude-3-opus-20240229', 'claude-3-opus-latest'])
  })

  test.each([
    ['claude-3-7-sonnet-20250219', 3, 0.3, 15],
    ['claude-sonnet-4-20250514', 3, 0.3, 15],
    ['claude-opus-4-20250514', 15, 1.5, 75],
    ['claude-opus-4-1-20250805', 15, 1.5, 75],
    ['claude-sonnet-4-5-20250929', 3, 0.3, 15],
    ['claude-sonnet-4-6', 3, 0.3, 15],
    ['claude-haiku-4-5-20251001', 1, 0.1, 5],
    ['claude-opus-4-5-20251101', 5, 0.5, 25],
    ['claude-opus-4-6', 5, 0.5, 25],
    ['claude-opus-4-7', 5, 0.5, 25],
    ['gemini-2.5-pro', 1.25, 0.125, 10],
    ['gemini-2.5-flash', 0.3, 0.03, 2.5],
    ['gpt-4-turbo', 10, undefined, 30],
    ['llama-3.1-8b-instant', 0.05, undefined, 0.08],
  ] as const)('%s is priced from prices.md', (id, input, cachedInput, output) => {
    const price = registry.models.get(id)?.price
    expect(price?.input).toBe(input)
    expect(price?.cachedInput).toBe(cachedInput)
    expect(price?.output).toBe(output)
  })

  test("every Anthropic entry carries Anthropic's cache prices: 5-minute writes 1.25×, 1-hour writes 2× the input, reads as published", () => {
    // Reads were 0.1× the input until the Claude 5 generation; Fable 5.1/5.2, Opus 5.5, Sonnet 5.5 and Haiku 5.5
    // publish their own (platform.claude.com pricing page and model pages).
    const reads: Record<string, number> = {
      'claude-fable-5-2': 0.2, 'claude-mythos-5-2': 0.2, 'claude-fable-5-1': 0.25, 'claude-mythos-5-1': 0.25,
      'claude-opus-5-5': 0.2, 'claude-sonnet-5-5': 0.1, 'claude-haiku-5-5': 0.01,
    }
    const anthropic = [...registry.models.values()].filter((m) => m.provider === 'anthropic')
    expect(anthropic.length).toBeGreaterThan(30)
    const round = (x: number) => Math.round(x * 1e4) / 1e4
    for (const m of anthropic) {
      const p = m.price!
      // Claude 3 Sonnet was retired before prompt caching: Anthropic never published cache prices for it.
      if (m.id === 'claude-3-sonnet-20240229') {
        expect([p.cachedInput, p.cacheWrite, p.cacheWrite1h]).toEqual([undefined, undefined, undefined])
        continue
      }
      if (m.id === 'claude-3-haiku-20240307') {
        expect([p.cachedInput, p.cacheWrite, p.cacheWrite1h]).toEqual([0.03, 0.3, 0.5])
        continue
      }
      expect([m.id, p.cachedInput, p.cacheWrite, p.cacheWrite1h]).toEqual([m.id, reads[m.id] ?? round(p.input * 0.1), round(p.input * 1.25), round(p.input * 2)])
      for (const t of p.tiers ?? []) expect([m.id, t.cacheWrite, t.cacheWrite1h]).toEqual([m.id, round(t.input * 1.25), round(t.input * 2)])
    }
    // OpenAI publishes one (30-minute) cache write price for GPT-5.6 and GPT-6 at 1.25× the input; nobody else a 1-hour one.
    for (const m of registry.models.values()) {
      if (m.provider === 'anthropic') continue
      expect([m.id, m.price?.cacheWrite1h]).toEqual([m.id, undefined])
      if (m.price?.cacheWrite !== undefined) expect([m.id, m.provider, m.price.cacheWrite]).toEqual([m.id, 'openai', Math.round(m.price.input * 1.25 * 1e4) / 1e4])
    }
  })

  test('Gemini long-prompt prices are tiers', () => {
    expect(registry.models.get('gemini-1.5-pro')?.price?.tiers).toEqual([{ aboveInputTokens: 128000, input: 2.5, output: 10 }])
    // Above 200k prompt tokens cached reads cost more too (0.25, not the base 0.125): a tier without cachedInput would charge them at 2.5.
    expect(registry.models.get('gemini-2.5-pro')?.price?.tiers).toEqual([{ aboveInputTokens: 200000, input: 2.5, cachedInput: 0.25, output: 15 }])
    expect(registry.models.get('gemini-3.1-pro-preview')?.price?.tiers).toEqual([{ aboveInputTokens: 200000, input: 4, cachedInput: 0.4, output: 18 }])
  })

  test('undated aliases cost what their dated model costs and downgrade the same way', () => {
    const aliases = {
      'claude-opus-4-1': 'claude-opus-4-1-20250805',
      'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929',
      'claude-haiku-4-5': 'claude-haiku-4-5-20251001',
      'claude-opus-4-5': 'claude-opus-4-5-20251101',
      'claude-sonnet-4-0': 'claude-sonnet-4-20250514',
      'claude-opus-4-0': 'claude-opus-4-20250514',
      'claude-3-7-sonnet-latest': 'claude-3-7-sonnet-20250219',
    }
    for (const [alias, dated] of Object.entries(aliases)) {
      const a = registry.models.get(alias)
      const d = registry.models.get(dated)
      expect({ alias, price: a?.price, downgrade: a?.downgrade }).toEqual({ alias, price: d!.price, downgrade: d!.downgrade })
    }
  })

  test('every downgrade step is cheaper on both input and output, except the seed\'s o1-mini → gpt-4o', () => {
    const pricier: string[] = []
    for (const model of registry.models.values()) {
      for (const target of [model.downgrade?.conservative, model.downgrade?.aggressive]) {
        const to = target ? registry.models.get(target)?.price : null
        if (to && model.price && (to.input > model.price.input || to.output > model.price.output)) pricier.push(`${model.id} → ${target}`)
      }
    }
    expect(pricier).toEqual(['o1-mini → gpt-4o'])
  })

  test('settings', () => {
    expect(registry.longPromptTokens).toBe(4000)
    expect(registry.minRequests).toBe(20)
    expect(registry.version).toMatch(/^builtin-\d{4}-\d{2}-\d{2}$/)
  })
})
