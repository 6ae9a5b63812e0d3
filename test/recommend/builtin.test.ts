import { describe, expect, test } from 'bun:test'
import { downgradeChain } from '../../src/recommend/chain'
import { recommend } from '../../src/recommend/engine'
import type { UsageGroup } from '../../src/recommend/types'
import { builtinRegistry } from '../../src/registry/load'
import { catalogueProvider } from '../../src/registry/lookup'
import { TASKS, type ProviderId } from '../../src/registry/schema'

// The seed's rows are walked by hand in engine.test.ts (over the built-in registry too); these are the
// invariants that must hold for every model the built-in registry holds, newer ones included.

const registry = builtinRegistry()

/** Token mixes per request: [name, input, cached, output] */
const MIXES: Array<[string, number, number, number]> = [
  ['short', 1000, 0, 100],
  ['long', 8000, 0, 100],
  ['mostly cached', 6000, 5800, 50],
  ['long outputs', 800, 0, 2000],
  ['above every tier', 250_000, 0, 1000],
]

const served: Array<[string, ProviderId]> = [...registry.models.values()].flatMap((m) =>
  m.provider === 'openai' ? [[m.id, 'openai'] as [string, ProviderId], [m.id, 'azure'] as [string, ProviderId]] : [[m.id, m.provider]],
)

const groups: UsageGroup[] = served.flatMap(([model, provider]) =>
  [...TASKS, null].flatMap((task) =>
    MIXES.map(([feature, input, cached, output]) => ({
      provider,
      model,
      task,
      feature,
      requests: 25,
      inputTokens: 25 * input,
      cachedInputTokens: 25 * cached,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 25 * output,
      costUsd: 0,
      unpricedRequests: 0,
    })),
  ),
)

const recs = recommend(groups, registry, 30)

describe('over every model of the built-in registry', () => {
  test('there is something to check', () => {
    expect(groups.length).toBeGreaterThan(500)
    expect(recs.length).toBeGreaterThan(100)
  })

  test('every suggestion is a cheaper model of the same catalogue, down the model\'s own chain', () => {
    for (const rec of recs) {
      const from = registry.models.get(rec.model)!
      const to = registry.models.get(rec.suggestedModel)!
      const reachable = [...downgradeChain(registry, rec.provider, from).map((m) => m.id), from.downgrade?.aggressive]
      expect(to.provider).toBe(catalogueProvider(rec.provider))
      expect(reachable).toContain(rec.suggestedModel)
      expect(rec.projectedCostUsd).toBeLessThan(rec.currentCostUsd)
      expect(rec.monthlySavingsUsd).toBeCloseTo(rec.currentCostUsd - rec.projectedCostUsd, 12)
    }
  })

  test('reasoning is never downgraded; generation and untagged only conservatively', () => {
    expect(recs.filter((r) => r.task === 'reasoning')).toEqual([])
    for (const rec of recs.filter((r) => r.task === 'generation' || r.task === null)) {
      expect(rec.aggressiveness).toBe('conservative')
      expect(['short', 'mostly cached']).toContain(rec.feature!)
    }
  })

  test('o1-mini is never suggested gpt-4o', () => {
    expect(recs.filter((r) => r.model === 'o1-mini' && r.suggestedModel === 'gpt-4o')).toEqual([])
  })

  test('under 20 requests, nothing at all', () => {
    expect(recommend(groups.map((g) => ({ ...g, requests: 19 })), registry, 30)).toEqual([])
  })

  test('sorted by monthly savings', () => {
    for (let i = 1; i < recs.length; i++) expect(recs[i - 1]!.monthlySavingsUsd).toBeGreaterThanOrEqual(recs[i]!.monthlySavingsUsd)
  })
})

describe('newer models of prices.md and the current families', () => {
  const pick = (model: string, provider: ProviderId, task: UsageGroup['task'], feature = 'short') =>
    recs.find((r) => r.model === model && r.provider === provider && r.task === task && r.feature === feature)?.suggestedModel

  test.each([
    ['claude-sonnet-4-5-20250929', 'anthropic', 'claude-haiku-4-5-20251001'],
    ['claude-opus-4-6', 'anthropic', 'claude-sonnet-4-6'],
    ['gemini-2.5-pro', 'gemini', 'gemini-2.5-flash'],
    ['gpt-6.2-astra', 'openai', 'gpt-6.2-sol'],
    ['gpt-6.2-astra', 'azure', 'gpt-6.2-sol'],
    ['gpt-5.6-sol', 'openai', 'gpt-5.6-terra'],
    ['claude-opus-5-5', 'anthropic', 'claude-sonnet-5-5'],
    ['claude-fable-5-2', 'anthropic', 'claude-opus-5-5'],
    ['gemini-3.1-pro-preview', 'gemini', 'gemini-3-flash-preview'],
    ['openai/gpt-oss-120b', 'groq', 'openai/gpt-oss-20b'],
    ['llama-3.3-70b-versatile', 'groq', 'llama-3.1-8b-instant'],
  ] as Array<[string, ProviderId, string]>)('%s summarisation -> %s', (model, provider, expected) => {
    expect(pick(model, provider, 'summarisation')).toBe(expected)
  })
})

test('mostly cached gemini-2.5-flash classification goes to gemini-2.5-flash-lite, not the retired gemini-2.0-flash', () => {
  const [rec] = recommend(
    [{ provider: 'gemini', model: 'gemini-2.5-flash', task: 'classification', feature: null, requests: 100, inputTokens: 600_000, cachedInputTokens: 580_000, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 5000, costUsd: 0, unpricedRequests: 0 }],
    registry,
    30,
  )
  expect(rec!.suggestedModel).toBe('gemini-2.5-flash-lite')
  expect(registry.models.get(rec!.suggestedModel)?.retired).toBeUndefined()
})
