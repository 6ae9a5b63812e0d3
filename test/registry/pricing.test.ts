import { describe, expect, test } from 'bun:test'
import { builtinRegistry } from '../../src/registry/load'
import { costUsd, priceModel } from '../../src/registry/pricing'
import type { Price } from '../../src/registry/schema'
import type { Usage } from '../../src/usage/types'

const registry = builtinRegistry()
const usage = (inputTokens: number, cachedInputTokens: number, outputTokens: number, cacheWriteTokens = 0, cacheWrite1hTokens = 0): Usage => ({
  inputTokens,
  cachedInputTokens,
  cacheWriteTokens,
  cacheWrite1hTokens,
  outputTokens,
  reasoningTokens: 0,
})

describe('costUsd with cache writes (SPEC section 8)', () => {
  const sonnet = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 }
  test('(input − cached − writes) at input, reads at cachedInput, 5-minute and 1-hour writes at their prices', () => {
    // 25 × 3 + 10,000 × 0.30 + 1,000 × 3.75 + 2,000 × 6 + 42 × 15 = 19,455 per 1M
    expect(costUsd(sonnet, usage(13_025, 10_000, 42, 1_000, 2_000))).toBe(0.019455)
  })
  test('absent cacheWrite and cacheWrite1h: the input price', () => {
    expect(costUsd({ input: 3, cachedInput: 0.3, output: 15 }, usage(13_025, 10_000, 42, 1_000, 2_000))).toBe(
      costUsd({ input: 3, cachedInput: 0.3, output: 15 }, usage(13_025, 10_000, 42)),
    )
  })
  test('reads and writes beyond the input are trusted only up to it, never a negative remainder', () => {
    // input 100: 80 read, the first 20 of the writes at 3.75, the rest not charged
    expect(costUsd(sonnet, usage(100, 80, 0, 500, 500))).toBe((80 * 0.3 + 20 * 3.75) / 1e6)
  })
  test('the built-in Anthropic entries price cache writes; OpenAI cached tokens keep their meaning', () => {
    expect(costUsd(priceModel(registry, 'anthropic', 'claude-opus-4-5-20251101', null)!.price, usage(1_000_000, 0, 0, 0, 1_000_000))).toBe(10)
    expect(costUsd(priceModel(registry, 'anthropic', 'claude-opus-4-5-20251101', null)!.price, usage(1_000_000, 0, 0, 1_000_000, 0))).toBe(6.25)
    expect(costUsd(priceModel(registry, 'openai', 'gpt-4o', null)!.price, usage(1000, 200, 100))).toBe(0.00325)
  })
})

describe('priceModel', () => {
  test.each([
    ['exact requested id', 'openai', null, 'gpt-4o', 'gpt-4o'],
    ['response model first', 'openai', 'gpt-4o-mini', 'gpt-4o', 'gpt-4o-mini'],
    ['response model with a date suffix', 'openai', 'gpt-4o-2024-08-06', 'gpt-4o', 'gpt-4o'],
    ['dashed date suffix on the request', 'openai', null, 'gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini'],
    ['compact date suffix', 'anthropic', null, 'claude-sonnet-4-6-20260101', 'claude-sonnet-4-6'],
    ['unknown response model, known request', 'openai', 'gpt-4o-2099-preview', 'gpt-4o', 'gpt-4o'],
    ['dated Anthropic id', 'anthropic', 'claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest', 'claude-3-5-haiku-20241022'],
    ['undated alias', 'anthropic', null, 'claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['gpt-4o forced to groq', 'groq', null, 'gpt-4o', null],
    ['claude on openai', 'openai', 'claude-3-haiku-20240307', 'claude-3-haiku-20240307', null],
    ['unknown model', 'openai', 'unknown-model', 'unknown-model', null],
    ['no model at all', 'openai', null, null, null],
    ['azure uses openai entries', 'azure', 'gpt-4o-2024-11-20', 'my-deployment', 'gpt-4o'],
    ['azure mini', 'azure', 'gpt-4o-mini-2024-07-18', 'prod', 'gpt-4o-mini'],
    ['azure spelling of gpt-3.5', 'azure', 'gpt-35-turbo', 'chat', 'gpt-3.5-turbo'],
    ['azure longest id prefix', 'azure', 'gpt-4.1-mini-ft-acme', 'chat', 'gpt-4.1-mini'],
    ['azure deployment named after its model', 'azure', '', 'gpt-4o-prod', 'gpt-4o'],
    ['azure prefix needs a whole name part', 'azure', 'o1x', 'gpt-4ox', null],
    ['azure knows no claude', 'azure', 'claude-3-haiku-20240307', 'claude-3-haiku-20240307', null],
    ['gemini model path', 'gemini', 'models/gemini-2.0-flash', 'models/gemini-2.0-flash', 'gemini-2.0-flash'],
  ] as const)('%s', (_name, provider, responseModel, requestedModel, expected) => {
    expect(priceModel(registry, provider, responseModel, requestedModel)?.id ?? null).toBe(expected)
  })
})

describe('costUsd', () => {
  const gpt4o: Price = { input: 2.5, cachedInput: 1.25, output: 10 }
  const noCachePrice: Price = { input: 10, output: 30 }
  const tiered: Price = {
    input: 1.25,
    cachedInput: 0.125,
    output: 10,
    tiers: [
      { aboveInputTokens: 500_000, input: 4, output: 20 },
      { aboveInputTokens: 200_000, input: 2.5, cachedInput: 0.25, output: 15 },
    ],
  }

  test.each([
    ['plain', gpt4o, usage(1000, 0, 100), 0.0035],
    ['cached tokens at cachedInput', gpt4o, usage(1000, 200, 100), 0.00325],
    ['cached tokens at the input price when there is no cachedInput', noCachePrice, usage(1000, 200, 100), 0.013],
    ['a million of each', gpt4o, usage(1_000_000, 0, 1_000_000), 12.5],
    ['zero tokens', gpt4o, usage(0, 0, 0), 0],
    ['more cached than input counts as all cached', gpt4o, usage(100, 500, 0), 0.000125],
    ['at the threshold: base price', tiered, usage(200_000, 0, 1000), 0.26],
    ['above the threshold: tier price and tier cached price', tiered, usage(200_000 + 1, 1, 1000), 0.51500025],
    ['the highest tier that applies wins, in any order', tiered, usage(600_000, 100_000, 0), 2.4],
    ['float noise is rounded away', { input: 0.1, output: 0.2 }, usage(1, 0, 1), 3e-7],
  ] as const)('%s', (_name, price, tokens, expected) => {
    expect(costUsd(price, tokens)).toBe(expected)
  })

  test('null when the price or the usage is unknown', () => {
    expect(costUsd(null, usage(1, 0, 1))).toBeNull()
    expect(costUsd(gpt4o, null)).toBeNull()
  })

  test('gemini-1.5-pro above 128k prompt tokens', () => {
    const price = registry.models.get('gemini-1.5-pro')!.price
    expect(costUsd(price, usage(128_000, 0, 0))).toBe(0.16)
    expect(costUsd(price, usage(128_001, 0, 0))).toBe(0.3200025)
  })
})
