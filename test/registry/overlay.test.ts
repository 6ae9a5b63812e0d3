import { describe, expect, test } from 'bun:test'
import { builtinRegistry } from '../../src/registry/load'
import { findModel } from '../../src/registry/lookup'
import { withOverrides, versionFor, type PriceOverride } from '../../src/registry/overlay'
import { priceModel } from '../../src/registry/pricing'
import type { Price, ProviderId } from '../../src/registry/schema'

const at = '2025-01-01T00:00:00.000Z'
const override = (provider: ProviderId, model: string, price: Price): PriceOverride => ({ provider, model, price, createdAt: at, updatedAt: at })

describe('withOverrides', () => {
  const registry = builtinRegistry()
  const gpt4o = findModel(registry, 'openai', 'gpt-4o')!

  test('no overrides: the registry itself', () => {
    expect(withOverrides(registry, [])).toBe(registry)
  })

  test("an override wins over the registry's price and keeps its downgrade targets", () => {
    const priced = withOverrides(registry, [override('openai', 'gpt-4o', { input: 1, output: 2 })])
    const entry = findModel(priced, 'openai', 'gpt-4o')!
    expect(entry.price).toEqual({ input: 1, output: 2 })
    expect(entry.downgrade).toEqual(gpt4o.downgrade)
    // dated ids fall back to it, as to the registry's entry
    expect(priceModel(priced, 'openai', 'gpt-4o-2099-01-01', null)!.price).toEqual({ input: 1, output: 2 })
    expect(versionFor(priced, entry)).toMatch(/\+overrides-[0-9a-f]{8}$/)
    expect(versionFor(priced, findModel(priced, 'openai', 'gpt-4o-mini'))).toBe(registry.version)
    // the registry in force is not changed
    expect(findModel(registry, 'openai', 'gpt-4o')!.price).toEqual(gpt4o.price)
  })

  test("an override of one provider never prices another provider's model, nor changes detection", () => {
    const priced = withOverrides(registry, [override('groq', 'gpt-4o', { input: 9, output: 9 })])
    expect(findModel(priced, 'openai', 'gpt-4o')!.price).toEqual(gpt4o.price)
    expect(findModel(priced, 'groq', 'gpt-4o')!.price).toEqual({ input: 9, output: 9 })
    expect(priced.models.get('gpt-4o')!.provider).toBe('openai')
  })

  test("Azure: a deployment's own override first, then OpenAI's", () => {
    const priced = withOverrides(registry, [override('azure', 'my-deployment', { input: 4, output: 4 }), override('openai', 'gpt-4o', { input: 1, output: 1 })])
    expect(priceModel(priced, 'azure', 'my-deployment', null)!.price).toEqual({ input: 4, output: 4 })
    expect(priceModel(priced, 'azure', 'gpt-4o', null)!.price).toEqual({ input: 1, output: 1 })
  })

  test('the version names the set of prices, not the order they were given in', () => {
    const a = override('groq', 'a', { input: 1, output: 1 })
    const b = override('groq', 'b', { input: 2, output: 2 })
    const version = (list: PriceOverride[]) => withOverrides(registry, list).overrides!.version
    expect(version([a, b])).toBe(version([b, a]))
    expect(version([a, b])).not.toBe(version([a, { ...b, price: { input: 2, output: 3 } }]))
  })
})
