import { describe, expect, test } from 'bun:test'
import { recommend } from '../../src/recommend/engine'
import { PROVIDER_LIST } from '../../src/providers'
import { builtinRegistry, validateRegistry } from '../../src/registry/load'
import { catalogueProvider } from '../../src/registry/lookup'
import { resolveProviders } from '../../src/registry/resolve-providers'
import type { Recommendation, UsageGroup } from '../../src/recommend/types'
import {
  TASKS,
  type ModelEntry,
  type ProviderEntry,
  type ProviderId,
  type Registry,
  type RegistryFile,
  type Task,
} from '../../src/registry/schema'

// ---------------------------------------------------------------------------------------------------------------
// A registry mirroring the supported-models seed (downgrade targets) and reference/prices.md (USD per 1M tokens).
// Written out here rather than read from the built-in file so these tests pin the seed itself.

type Row = [id: string, provider: ProviderId, input: number, cached: number | null, output: number, conservative?: string, aggressive?: string]

const SEED_ROWS: Row[] = [
  ['gpt-4o', 'openai', 2.5, 1.25, 10, 'gpt-4o-mini'],
  ['gpt-4o-mini', 'openai', 0.15, 0.075, 0.6],
  ['gpt-4-turbo', 'openai', 10, null, 30, 'gpt-4o'],
  ['gpt-4', 'openai', 30, null, 60, 'gpt-4o'],
  ['gpt-4.1', 'openai', 2, 0.5, 8, 'gpt-4.1-mini'],
  ['gpt-4.1-mini', 'openai', 0.4, 0.1, 1.6, 'gpt-4.1-nano'],
  ['gpt-4.1-nano', 'openai', 0.1, 0.025, 0.4],
  ['gpt-3.5-turbo', 'openai', 0.5, null, 1.5, 'gpt-4.1-nano'],
  ['o1', 'openai', 15, 7.5, 60, 'o1-mini'],
  ['o1-mini', 'openai', 1.1, 0.55, 4.4, 'gpt-4o'],
  ['o3', 'openai', 2, 0.5, 8, 'o3-mini'],
  ['o3-mini', 'openai', 1.1, 0.55, 4.4, 'gpt-4o-mini'],
  ['o4-mini', 'openai', 1.1, 0.275, 4.4, 'gpt-4o-mini'],
  ['claude-3-opus-20240229', 'anthropic', 15, 1.5, 75, 'claude-3-5-sonnet-20241022', 'claude-3-5-haiku-20241022'],
  ['claude-3-5-sonnet-20241022', 'anthropic', 3, 0.3, 15, 'claude-3-5-haiku-20241022'],
  ['claude-3-sonnet-20240229', 'anthropic', 3, null, 15, 'claude-3-5-haiku-20241022'],
  ['claude-3-5-haiku-20241022', 'anthropic', 0.8, 0.08, 4],
  ['claude-3-haiku-20240307', 'anthropic', 0.25, 0.03, 1.25],
  ['llama-3.2-90b-vision', 'groq', 0.9, null, 0.9, 'llama-3.1-70b-versatile'],
  ['llama-3.1-70b-versatile', 'groq', 0.59, null, 0.79, 'llama-3.1-8b-instant'],
  ['llama-3.1-8b-instant', 'groq', 0.05, null, 0.08],
  ['mixtral-8x7b-32768', 'groq', 0.24, null, 0.24, 'llama-3.1-8b-instant'],
  ['gemma2-9b-it', 'groq', 0.2, null, 0.2, 'llama-3.1-8b-instant'],
  ['gemini-1.5-pro', 'gemini', 1.25, null, 5, 'gemini-1.5-flash'],
  ['gemini-1.5-flash', 'gemini', 0.075, null, 0.3],
  ['gemini-2.0-flash', 'gemini', 0.1, 0.025, 0.4, 'gemini-1.5-flash'],
]

/** prices.md's tiers: Gemini 1.5 charges more above 128k prompt tokens */
const TIERS: Record<string, NonNullable<ModelEntry['price']>['tiers']> = {
  'gemini-1.5-pro': [{ aboveInputTokens: 128_000, input: 2.5, output: 10 }],
  'gemini-1.5-flash': [{ aboveInputTokens: 128_000, input: 0.15, output: 0.6 }],
}

function entry([id, provider, input, cached, output, conservative, aggressive]: Row): ModelEntry {
  const price: NonNullable<ModelEntry['price']> = { input, output }
  if (cached !== null) price.cachedInput = cached
  if (TIERS[id]) price.tiers = TIERS[id]
  const e: ModelEntry = { id, provider, price }
  if (conservative || aggressive) {
    e.downgrade = {}
    if (conservative) e.downgrade.conservative = conservative
    if (aggressive) e.downgrade.aggressive = aggressive
  }
  return e
}

function seedFile(settings?: RegistryFile['settings'], extra: ModelEntry[] = []): RegistryFile {
  const providers: ProviderEntry[] = (['openai', 'anthropic', 'groq', 'gemini', 'azure'] as const).map((id) =>
    id === 'azure' ? { id, prefixes: [] } : { id, baseUrl: `https://${id}.example/v1`, prefixes: [] },
  )
  return { version: 'test', settings, providers, models: [...SEED_ROWS.map(entry), ...extra] }
}

/** The few lines of the registry loader these tests need: defaults and lookup maps, no validation. */
function toRegistry(file: RegistryFile): Registry {
  return {
    file,
    version: file.version,
    longPromptTokens: file.settings?.longPromptTokens ?? 4000,
    minRequests: file.settings?.minRequests ?? 20,
    models: new Map(file.models.map((m) => [m.id, m])),
    providers: new Map(resolveProviders(PROVIDER_LIST, file.providers).map((p) => [p.id, p])),
    prefixes: [],
  }
}

const SEED = toRegistry(seedFile())

function group(over: Partial<UsageGroup> & Pick<UsageGroup, 'model'>): UsageGroup {
  return {
    provider: 'openai',
    task: null,
    feature: null,
    requests: 40,
    inputTokens: 40 * 1000,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 40 * 100,
    costUsd: 0,
    unpricedRequests: 0,
    ...over,
  }
}

function only(groups: UsageGroup[], registry = SEED, windowDays = 30): Recommendation | undefined {
  const recs = recommend(groups, registry, windowDays)
  expect(recs.length).toBeLessThanOrEqual(1)
  return recs[0]
}

// ---------------------------------------------------------------------------------------------------------------
// The seed's table, walked row by row: every model x every task (and none) x short and long prompts.

/** Where each seed model goes one step down (C) and aggressively (A); null = nowhere cheaper. Worked out by hand. */
const TARGETS: Record<string, { C: string | null; A: string | null }> = {
  'gpt-4o': { C: 'gpt-4o-mini', A: 'gpt-4o-mini' },
  'gpt-4o-mini': { C: null, A: null },
  'gpt-4-turbo': { C: 'gpt-4o', A: 'gpt-4o-mini' },
  'gpt-4': { C: 'gpt-4o', A: 'gpt-4o-mini' },
  'gpt-4.1': { C: 'gpt-4.1-mini', A: 'gpt-4.1-nano' },
  'gpt-4.1-mini': { C: 'gpt-4.1-nano', A: 'gpt-4.1-nano' },
  'gpt-4.1-nano': { C: null, A: null },
  'gpt-3.5-turbo': { C: 'gpt-4.1-nano', A: 'gpt-4.1-nano' },
  o1: { C: 'o1-mini', A: 'gpt-4o-mini' }, // o1 -> o1-mini -> gpt-4o -> gpt-4o-mini
  'o1-mini': { C: null, A: 'gpt-4o-mini' }, // its one step, gpt-4o, costs more: never suggested
  o3: { C: 'o3-mini', A: 'gpt-4o-mini' },
  'o3-mini': { C: 'gpt-4o-mini', A: 'gpt-4o-mini' },
  'o4-mini': { C: 'gpt-4o-mini', A: 'gpt-4o-mini' },
  'claude-3-opus-20240229': { C: 'claude-3-5-sonnet-20241022', A: 'claude-3-5-haiku-20241022' },
  'claude-3-5-sonnet-20241022': { C: 'claude-3-5-haiku-20241022', A: 'claude-3-5-haiku-20241022' },
  'claude-3-sonnet-20240229': { C: 'claude-3-5-haiku-20241022', A: 'claude-3-5-haiku-20241022' },
  'claude-3-5-haiku-20241022': { C: null, A: null },
  'claude-3-haiku-20240307': { C: null, A: null },
  'llama-3.2-90b-vision': { C: 'llama-3.1-70b-versatile', A: 'llama-3.1-8b-instant' },
  'llama-3.1-70b-versatile': { C: 'llama-3.1-8b-instant', A: 'llama-3.1-8b-instant' },
  'llama-3.1-8b-instant': { C: null, A: null },
  'mixtral-8x7b-32768': { C: 'llama-3.1-8b-instant', A: 'llama-3.1-8b-instant' },
  'gemma2-9b-it': { C: 'llama-3.1-8b-instant', A: 'llama-3.1-8b-instant' },
  'gemini-1.5-pro': { C: 'gemini-1.5-flash', A: 'gemini-1.5-flash' },
  'gemini-1.5-flash': { C: null, A: null },
  'gemini-2.0-flash': { C: 'gemini-1.5-flash', A: 'gemini-1.5-flash' },
}

type Level = 'aggressive' | 'moderate' | 'conservative' | null
type Length = 'short' | 'long'

/** SPEC section 6's table; generation and no task with short (100-token) outputs, so only the prompt decides. */
const LEVELS: Record<Task | 'none', Record<Length, Level>> = {
  classification: { short: 'aggressive', long: 'aggressive' },
  extraction: { short: 'aggressive', long: 'moderate' },
  summarisation: { short: 'moderate', long: 'conservative' },
  generation: { short: 'conservative', long: null },
  none: { short: 'conservative', long: null },
  reasoning: { short: null, long: null },
}

const PROMPT: Record<Length, number> = { short: 1000, long: 8000 }

/** Azure serves OpenAI's models: every OpenAI row is walked again as azure traffic. */
const SERVED: Array<[model: string, provider: ProviderId]> = [
  ...SEED_ROWS.map(([model, provider]): [string, ProviderId] => [model, provider]),
  ...SEED_ROWS.filter((r) => r[1] === 'openai').map(([model]): [string, ProviderId] => [model, 'azure']),
]

const TABLE = SERVED.flatMap(([model, provider]) =>
  [...TASKS, null].flatMap((task) =>
    (['short', 'long'] as const).map((length) => {
      const level = LEVELS[task ?? 'none'][length]
      const target = level === null ? null : level === 'aggressive' ? TARGETS[model]!.A : TARGETS[model]!.C
      const expected = target === null ? 'nothing' : `${target} (${level})`
      const name = `${provider} ${model}, ${task ?? 'no task'}, ${length} prompt -> ${expected}`
      return { name, model, provider, task, length, level: target === null ? null : level, target }
    }),
  ),
)

describe('the seed table, every model x task x prompt length', () => {
  test('the fixture is a valid registry file', () => {
    const result = validateRegistry(seedFile(), 'fixture')
    expect(result.ok ? [] : result.errors).toEqual([])
  })

  test('covers every seed model (and every OpenAI one again as azure), six task values and both lengths', () => {
    expect(TABLE.length).toBe((SEED_ROWS.length + 13) * 6 * 2)
    expect(Object.keys(TARGETS).sort()).toEqual(SEED_ROWS.map((r) => r[0]).sort())
  })

  // the same hand-worked table over the built-in registry, which must agree with the seed
  describe.each([
    ['fixture', SEED],
    ['builtin', builtinRegistry()],
  ] as const)('%s registry', (_, registry) => {
    test.each(TABLE)('$name', ({ model, provider, task, length, level, target }) => {
      const rec = only([group({ model, provider, task, inputTokens: 40 * PROMPT[length] })], registry)
      if (target === null) {
        expect(rec).toBeUndefined()
        return
      }
      expect(rec).toBeDefined()
      expect(rec!.suggestedModel).toBe(target)
      expect(rec!.aggressiveness).toBe(level!)
      expect(rec!.provider).toBe(provider)
      expect(rec!.model).toBe(model)
      expect(rec!.task).toBe(task)
      expect(rec!.projectedCostUsd).toBeLessThan(rec!.currentCostUsd)
      expect(rec!.monthlySavingsUsd).toBeGreaterThan(0)
    })
  })
})

// ---------------------------------------------------------------------------------------------------------------

describe('downgrade targets', () => {
  test('claude-3-opus: one step to claude-3-5-sonnet, aggressive to claude-3-5-haiku', () => {
    const base = { model: 'claude-3-opus-20240229', provider: 'anthropic' as const }
    expect(only([group({ ...base, task: 'summarisation' })])!.suggestedModel).toBe('claude-3-5-sonnet-20241022')
    expect(only([group({ ...base, task: 'classification' })])!.suggestedModel).toBe('claude-3-5-haiku-20241022')
    expect(only([group({ ...base, task: 'classification' })])!.reason).toContain("the model's aggressive target")
  })

  test('aggressive follows the chain to its end: gpt-4 -> gpt-4o -> gpt-4o-mini', () => {
    const rec = only([group({ model: 'gpt-4', task: 'classification' })])!
    expect(rec.suggestedModel).toBe('gpt-4o-mini')
    expect(rec.reason).toContain('the end of the downgrade chain')
  })

  test('o1-mini is never suggested gpt-4o, at any level', () => {
    const recs = recommend(
      [...TASKS, null].map((task) => group({ model: 'o1-mini', task, feature: String(task) })),
      SEED,
      30,
    )
    expect(recs.map((r) => r.suggestedModel)).not.toContain('gpt-4o')
    // classification and short extraction go past gpt-4o to gpt-4o-mini, which is cheaper
    expect(recs.map((r) => [r.task, r.suggestedModel])).toEqual([
      ['classification', 'gpt-4o-mini'],
      ['extraction', 'gpt-4o-mini'],
    ])
  })

  test('o3-mini -> gpt-4o-mini is cheaper, so it is suggested', () => {
    expect(only([group({ model: 'o3-mini', task: 'summarisation' })])!.suggestedModel).toBe('gpt-4o-mini')
  })

  test('a date-suffixed model gets its undated entry\'s downgrade', () => {
    const rec = only([group({ model: 'gpt-4o-2024-08-06', task: 'classification' })])!
    expect(rec.model).toBe('gpt-4o-2024-08-06')
    expect(rec.suggestedModel).toBe('gpt-4o-mini')
  })

  test('a model the registry does not know, or knows without a price, gets nothing', () => {
    const unpriced = toRegistry(seedFile(undefined, [{ id: 'gpt-5-preview', provider: 'openai', price: null, downgrade: { conservative: 'gpt-4o-mini' } }]))
    expect(recommend([group({ model: 'my-custom-model', task: 'classification' })], SEED, 30)).toEqual([])
    expect(recommend([group({ model: 'gpt-5-preview', task: 'classification' })], unpriced, 30)).toEqual([])
  })

  test('a target without a price is never suggested; the nearest priced cheaper step is', () => {
    const file = seedFile()
    file.models = file.models.map((m) => (m.id === 'gpt-4o-mini' ? { ...m, price: null } : m))
    const rec = only([group({ model: 'gpt-4', task: 'classification' })], toRegistry(file))!
    expect(rec.suggestedModel).toBe('gpt-4o')
    expect(rec.reason).toContain('gpt-4o-mini has no price, so the nearest cheaper step')
  })
})

describe('a step that costs more for the group\'s token mix', () => {
  // gemini-2.0-flash has a cached price (0.025) and gemini-1.5-flash has none (0.075), so mostly-cached
  // traffic costs more on the "smaller" model
  test('is not suggested: mostly cached gemini-2.0-flash traffic stays', () => {
    const cachedHeavy = group({ model: 'gemini-2.0-flash', provider: 'gemini', task: 'classification', cachedInputTokens: 40 * 1000, outputTokens: 40 * 10 })
    expect(recommend([cachedHeavy], SEED, 30)).toEqual([])
    // the same traffic uncached is cheaper on gemini-1.5-flash
    expect(only([{ ...cachedHeavy, cachedInputTokens: 0 }])!.suggestedModel).toBe('gemini-1.5-flash')
  })

  const fallbackFile = (): RegistryFile =>
    seedFile(undefined, [
      { id: 'big', provider: 'openai', price: { input: 10, output: 10 }, downgrade: { conservative: 'mid' } },
      { id: 'mid', provider: 'openai', price: { input: 5, output: 5 }, downgrade: { conservative: 'odd' } },
      { id: 'odd', provider: 'openai', price: { input: 20, output: 20 } },
      { id: 'opus-like', provider: 'openai', price: { input: 10, output: 10 }, downgrade: { conservative: 'mid', aggressive: 'odd' } },
    ])

  test('aggressive falls back to the nearest cheaper step on the chain, and says so', () => {
    const rec = only([group({ model: 'big', task: 'classification' })], toRegistry(fallbackFile()))!
    expect(rec.suggestedModel).toBe('mid')
    expect(rec.aggressiveness).toBe('aggressive')
    expect(rec.reason).toContain('odd would not be cheaper, so the nearest cheaper step')
  })

  test("an aggressive target that is not cheaper falls back to the model's one step", () => {
    const rec = only([group({ model: 'opus-like', task: 'classification' })], toRegistry(fallbackFile()))!
    expect(rec.suggestedModel).toBe('mid')
  })

  test('with no cheaper step at all, nothing', () => {
    const file = fallbackFile()
    file.models.push({ id: 'cheap', provider: 'openai', price: { input: 1, output: 1 }, downgrade: { conservative: 'odd' } })
    expect(recommend([group({ model: 'cheap', task: 'classification' })], toRegistry(file), 30)).toEqual([])
  })

  test('an equal price is not a saving', () => {
    const file = seedFile(undefined, [
      { id: 'twin-a', provider: 'openai', price: { input: 1, output: 1 }, downgrade: { conservative: 'twin-b' } },
      { id: 'twin-b', provider: 'openai', price: { input: 1, output: 1 } },
    ])
    expect(recommend([group({ model: 'twin-a', task: 'classification' })], toRegistry(file), 30)).toEqual([])
  })

  test('a downgrade cycle ends the chain instead of looping', () => {
    const file = seedFile(undefined, [
      { id: 'loop-a', provider: 'openai', price: { input: 4, output: 4 }, downgrade: { conservative: 'loop-b' } },
      { id: 'loop-b', provider: 'openai', price: { input: 2, output: 2 }, downgrade: { conservative: 'loop-c' } },
      { id: 'loop-c', provider: 'openai', price: { input: 1, output: 1 }, downgrade: { conservative: 'loop-a' } },
      { id: 'self', provider: 'openai', price: { input: 1, output: 1 }, downgrade: { conservative: 'self', aggressive: 'self' } },
    ])
    const registry = toRegistry(file)
    expect(only([group({ model: 'loop-a', task: 'classification' })], registry)!.suggestedModel).toBe('loop-c')
    expect(only([group({ model: 'loop-b', task: 'classification' })], registry)!.suggestedModel).toBe('loop-c')
    expect(recommend([group({ model: 'self', task: 'classification' })], registry, 30)).toEqual([])
  })
})

describe('providers', () => {
  test('never across providers: a target of another provider ends the chain', () => {
    const file = seedFile(undefined, [
      { id: 'groq-big', provider: 'groq', price: { input: 5, output: 5 }, downgrade: { conservative: 'gpt-4o-mini', aggressive: 'gpt-4.1-nano' } },
      { id: 'groq-mid', provider: 'groq', price: { input: 3, output: 3 }, downgrade: { conservative: 'llama-3.1-8b-instant', aggressive: 'gpt-4.1-nano' } },
    ])
    const registry = toRegistry(file)
    expect(recommend([group({ model: 'groq-big', provider: 'groq', task: 'classification' })], registry, 30)).toEqual([])
    // the foreign aggressive target is ignored; the chain's own end is used
    expect(only([group({ model: 'groq-mid', provider: 'groq', task: 'classification' })], registry)!.suggestedModel).toBe('llama-3.1-8b-instant')
  })

  test('a model served by a provider that does not list it gets nothing (gpt-4o forced to groq)', () => {
    expect(recommend([group({ model: 'gpt-4o', provider: 'groq', task: 'classification' })], SEED, 30)).toEqual([])
  })

  test('every suggestion stays within the group\'s provider catalogue', () => {
    for (const rec of recommend(TABLE.map((r, i) => group({ model: r.model, provider: r.provider, task: r.task, feature: `f${i}` })), SEED, 30)) {
      expect(SEED.models.get(rec.suggestedModel)!.provider).toBe(catalogueProvider(rec.provider))
    }
  })

  test('azure traffic uses OpenAI\'s catalogue but stays azure', () => {
    const rec = only([group({ model: 'gpt-4', provider: 'azure', task: 'classification' })])!
    expect(rec.provider).toBe('azure')
    expect(rec.suggestedModel).toBe('gpt-4o-mini')
    const openai = only([group({ model: 'gpt-4', provider: 'openai', task: 'classification' })])!
    expect(rec.monthlySavingsUsd).toBe(openai.monthlySavingsUsd)
  })

  test("azure's own spellings are found the way they were priced (gpt-35-turbo is gpt-3.5-turbo)", () => {
    const rec = only([group({ model: 'gpt-35-turbo', provider: 'azure', task: 'classification' })])!
    expect(rec.model).toBe('gpt-35-turbo')
    expect(rec.suggestedModel).toBe('gpt-4.1-nano')
    expect(recommend([group({ model: 'gpt-35-turbo', provider: 'openai', task: 'classification' })], SEED, 30)).toEqual([])
  })

  test('azure deployment names the registry does not know get nothing', () => {
    expect(recommend([group({ model: 'prod-gpt4o-eu', provider: 'azure', task: 'classification' })], SEED, 30)).toEqual([])
  })
})

describe('thresholds', () => {
  test('fewer than 20 requests: nothing; 20: a recommendation', () => {
    const at = (requests: number) => group({ model: 'gpt-4o', task: 'classification', requests, inputTokens: requests * 1000, outputTokens: requests * 100 })
    expect(recommend([at(19)], SEED, 30)).toEqual([])
    expect(recommend([at(0)], SEED, 30)).toEqual([])
    expect(only([at(20)])!.requests).toBe(20)
  })

  test('a prompt is long only above 4,000 input tokens on average, cached ones included', () => {
    const extraction = (avgInput: number, avgCached = 0) =>
      only([group({ model: 'gpt-4.1', task: 'extraction', inputTokens: 40 * avgInput, cachedInputTokens: 40 * avgCached })])!.aggressiveness
    expect(extraction(4000)).toBe('aggressive')
    expect(extraction(4001)).toBe('moderate')
    expect(extraction(4001, 4001)).toBe('moderate')
  })

  test("the registry's own settings are honoured", () => {
    const registry = toRegistry(seedFile({ longPromptTokens: 2000, minRequests: 5 }))
    const few = group({ model: 'gpt-4.1', task: 'extraction', requests: 5, inputTokens: 5 * 3000, outputTokens: 5 * 50 })
    const rec = only([few], registry)!
    expect(rec.aggressiveness).toBe('moderate') // 3,000 is long above 2,000
    expect(rec.suggestedModel).toBe('gpt-4.1-mini')
    expect(rec.reason).toContain('long prompts (> 2,000 input tokens)')
    expect(only([few])).toBeUndefined() // the default needs 20 requests
    expect(recommend([{ ...few, requests: 4 }], registry, 30)).toEqual([])
  })
})

describe('generation and untagged traffic: conservative only when outputs and prompts are short', () => {
  const gen = (task: Task | null, avgInput: number, avgOutput: number) =>
    only([group({ model: 'gpt-4o', task, inputTokens: 40 * avgInput, outputTokens: 40 * avgOutput })])

  test.each([['generation' as const], [null]])('%p', (task) => {
    expect(gen(task, 1000, 500)!.aggressiveness).toBe('conservative')
    expect(gen(task, 1000, 500)!.suggestedModel).toBe('gpt-4o-mini')
    expect(gen(task, 1000, 501)).toBeUndefined()
    expect(gen(task, 4001, 100)).toBeUndefined()
    expect(gen(task, 4001, 900)).toBeUndefined()
  })

  test('the rule is in the reason', () => {
    expect(gen('generation', 800, 120)!.reason).toBe(
      'generation traffic, 40 requests averaging 800 input / 120 output tokens: gpt-4o-mini costs 94% less for this token mix; ' +
        'generation with short outputs (≤ 500 output tokens) and short prompts (≤ 4,000 input tokens) → conservative, one step down',
    )
    expect(gen(null, 800, 120)!.reason).toStartWith('untagged traffic, 40 requests')
  })
})

describe('costs and savings, checked by hand', () => {
  test('gpt-4o classification over 7 days', () => {
    // gpt-4o:      80,000 uncached x 2.50 + 20,000 cached x 1.25 + 10,000 out x 10.00 = 0.2 + 0.025 + 0.1 = 0.325
    // gpt-4o-mini: 80,000 x 0.15 + 20,000 x 0.075 + 10,000 x 0.60 = 0.012 + 0.0015 + 0.006 = 0.0195
    // monthly:     (0.325 - 0.0195) x 30 / 7 = 1.30928571...
    const rec = only(
      [group({ model: 'gpt-4o', task: 'classification', requests: 100, inputTokens: 100_000, cachedInputTokens: 20_000, outputTokens: 10_000, costUsd: 99 })],
      SEED,
      7,
    )!
    expect(rec.currentCostUsd).toBeCloseTo(0.325, 12)
    expect(rec.projectedCostUsd).toBeCloseTo(0.0195, 12)
    expect(rec.monthlySavingsUsd).toBeCloseTo(1.3092857142857, 10)
    expect(rec.avgInputTokens).toBe(1000)
    expect(rec.avgOutputTokens).toBe(100)
    expect(rec.reason).toBe(
      'classification traffic, 100 requests averaging 1,000 input / 100 output tokens: gpt-4o-mini costs 94% less for this token mix; ' +
        'classification → aggressive, the end of the downgrade chain',
    )
  })

  test('claude-3-opus long summarisation over 15 days', () => {
    // opus:   400,000 in x 15 + 20,000 out x 75 = 6.0 + 1.5 = 7.5
    // sonnet: 400,000 in x 3 + 20,000 out x 15 = 1.2 + 0.3 = 1.5
    // monthly: (7.5 - 1.5) x 30 / 15 = 12
    const rec = only(
      [group({ model: 'claude-3-opus-20240229', provider: 'anthropic', task: 'summarisation', feature: 'digest', requests: 40, inputTokens: 400_000, outputTokens: 20_000 })],
      SEED,
      15,
    )!
    expect(rec.aggressiveness).toBe('conservative')
    expect(rec.suggestedModel).toBe('claude-3-5-sonnet-20241022')
    expect(rec.feature).toBe('digest')
    expect(rec.currentCostUsd).toBeCloseTo(7.5, 12)
    expect(rec.projectedCostUsd).toBeCloseTo(1.5, 12)
    expect(rec.monthlySavingsUsd).toBeCloseTo(12, 10)
    expect(rec.reason).toContain('costs 80% less')
  })

  test('cached tokens are charged at the input price where no cached price exists (gpt-4 -> gpt-4o)', () => {
    // gpt-4:  (1,000 - 600) x 30 + 600 x 30 + 100 x 60 = 36,000 per 1M per request -> x 40 / 1M = 1.44
    // gpt-4o: 400 x 2.5 + 600 x 1.25 + 100 x 10 = 2,750 -> x 40 / 1M = 0.11
    const rec = only([group({ model: 'gpt-4', task: 'summarisation', cachedInputTokens: 40 * 600 })])!
    expect(rec.currentCostUsd).toBeCloseTo(1.44, 12)
    expect(rec.projectedCostUsd).toBeCloseTo(0.11, 12)
  })

  test('tiered prices are chosen by the average prompt (gemini-1.5-pro above 128k)', () => {
    // 200,000 input tokens per request is above the 128k tier: pro 2.50 / 10.00, flash 0.15 / 0.60
    // pro:   20 x (200,000 x 2.5 + 1,000 x 10) / 1M = 10.2;  flash: 20 x (200,000 x 0.15 + 1,000 x 0.6) / 1M = 0.612
    const rec = only([group({ model: 'gemini-1.5-pro', provider: 'gemini', task: 'summarisation', requests: 20, inputTokens: 20 * 200_000, outputTokens: 20 * 1000 })])!
    expect(rec.currentCostUsd).toBeCloseTo(10.2, 12)
    expect(rec.projectedCostUsd).toBeCloseTo(0.612, 12)
    // below the tier: base prices, pro 1.25 / 5.00
    const small = only([group({ model: 'gemini-1.5-pro', provider: 'gemini', task: 'summarisation', requests: 20, inputTokens: 20 * 1000, outputTokens: 20 * 100 })])!
    expect(small.currentCostUsd).toBeCloseTo((20 * (1000 * 1.25 + 100 * 5)) / 1e6, 12)
  })

  test('the recorded costUsd is not used: both sides are re-priced from the registry', () => {
    const a = only([group({ model: 'gpt-4o', task: 'classification', costUsd: 0, unpricedRequests: 40 })])!
    const b = only([group({ model: 'gpt-4o', task: 'classification', costUsd: 1234 })])!
    expect(a.currentCostUsd).toBe(b.currentCostUsd)
  })

  test('savings scale to 30 days from the window', () => {
    const g = group({ model: 'gpt-4o', task: 'classification' })
    const month = only([g], SEED, 30)!
    expect(only([g], SEED, 10)!.monthlySavingsUsd).toBeCloseTo(month.monthlySavingsUsd * 3, 12)
    expect(only([g], SEED, 60)!.monthlySavingsUsd).toBeCloseTo(month.monthlySavingsUsd / 2, 12)
  })

  test('a window of no days is a programming error', () => {
    expect(() => recommend([], SEED, 0)).toThrow(RangeError)
    expect(() => recommend([], SEED, Number.NaN)).toThrow(RangeError)
  })
})

describe('the list', () => {
  test('sorted by monthly savings, biggest first; groups without a suggestion are left out', () => {
    const recs = recommend(
      [
        group({ model: 'gpt-4o-mini', task: 'classification' }),
        group({ model: 'gpt-4o', task: 'classification' }),
        group({ model: 'gpt-4', task: 'classification' }),
        group({ model: 'o1', task: 'reasoning' }),
        group({ model: 'gpt-4.1', task: 'classification', requests: 400, inputTokens: 400_000, outputTokens: 40_000 }),
      ],
      SEED,
      30,
    )
    expect(recs.map((r) => r.model)).toEqual(['gpt-4', 'gpt-4.1', 'gpt-4o'])
    for (let i = 1; i < recs.length; i++) expect(recs[i - 1]!.monthlySavingsUsd).toBeGreaterThanOrEqual(recs[i]!.monthlySavingsUsd)
  })

  test('one recommendation per (model, task, feature) group', () => {
    const recs = recommend(
      [group({ model: 'gpt-4o', task: 'classification', feature: 'a' }), group({ model: 'gpt-4o', task: 'classification', feature: 'b' })],
      SEED,
      30,
    )
    expect(recs.map((r) => r.feature)).toEqual(['a', 'b'])
  })
})
