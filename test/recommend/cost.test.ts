import { expect, test } from 'bun:test'
import { groupCostUsd } from '../../src/recommend/cost'
import type { Price } from '../../src/registry/schema'

const mix = (requests: number, inputTokens: number, cachedInputTokens: number, outputTokens: number) => ({
  requests,
  inputTokens,
  cachedInputTokens,
  outputTokens,
})

test('cached tokens are part of the input and priced at cachedInput (gpt-4o)', () => {
  // 80,000 x 2.50 + 20,000 x 1.25 + 10,000 x 10.00, per 1M
  expect(groupCostUsd({ input: 2.5, cachedInput: 1.25, output: 10 }, mix(100, 100_000, 20_000, 10_000))).toBeCloseTo(0.325, 12)
})

test('without a cachedInput price, cached tokens cost the input price', () => {
  expect(groupCostUsd({ input: 30, output: 60 }, mix(1, 1000, 600, 100))).toBeCloseTo(0.036, 12)
})

test('cache writes are re-priced at the target\'s cacheWrite and cacheWrite1h (Anthropic)', () => {
  const sonnet: Price = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, output: 15 }
  const group = { requests: 10, inputTokens: 130_250, cachedInputTokens: 100_000, cacheWriteTokens: 10_000, cacheWrite1hTokens: 20_000, outputTokens: 420 }
  // 250 × 3 + 100,000 × 0.30 + 10,000 × 3.75 + 20,000 × 6 + 420 × 15, per 1M
  expect(groupCostUsd(sonnet, group)).toBe(0.19455)
})

test('cached tokens beyond the input count are not charged twice', () => {
  expect(groupCostUsd({ input: 1, cachedInput: 0.5, output: 0 }, mix(1, 1000, 5000, 0))).toBeCloseTo(0.0005, 12)
})

const gemini25Pro: Price = {
  input: 1.25,
  cachedInput: 0.125,
  output: 10,
  tiers: [{ aboveInputTokens: 200_000, input: 2.5, output: 15 }],
}
const twoTiers: Price = {
  input: 1,
  output: 1,
  tiers: [
    { aboveInputTokens: 500_000, input: 3, output: 3 },
    { aboveInputTokens: 100_000, input: 2, cachedInput: 0.2, output: 2 },
  ],
}

test("the group's average request picks the tier, not the window's total input", () => {
  // 10 requests averaging 300,000 input tokens: the 100k tier, cached at its own 0.2
  // (3,000,000 - 1,000,000) x 2 + 1,000,000 x 0.2 + 10,000 x 2 = 4,220,000 per 1M
  expect(groupCostUsd(twoTiers, mix(10, 3_000_000, 1_000_000, 10_000))).toBeCloseTo(4.22, 12)
  // the same totals over 100 requests average 30,000: base price, though 3,000,000 in all is above every tier
  expect(groupCostUsd(twoTiers, mix(100, 3_000_000, 1_000_000, 10_000))).toBeCloseTo(3.01, 12)
  // 600,000 on average: the highest tier that applies
  expect(groupCostUsd(twoTiers, mix(1, 600_000, 0, 0))).toBeCloseTo(1.8, 12)
  // exactly at a threshold is still below it
  expect(groupCostUsd(gemini25Pro, mix(2, 400_000, 0, 0))).toBeCloseTo(0.5, 12)
  expect(groupCostUsd(gemini25Pro, mix(2, 400_002, 0, 0))).toBeCloseTo((400_002 * 2.5) / 1e6, 12)
})
