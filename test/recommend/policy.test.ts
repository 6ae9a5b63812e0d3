import { describe, expect, test } from 'bun:test'
import { aggressivenessFor, SHORT_OUTPUT_TOKENS } from '../../src/recommend/policy'
import type { Task } from '../../src/registry/schema'

const LONG = 4000
const shape = (avgInputTokens: number, avgOutputTokens = 100) => ({ avgInputTokens, avgOutputTokens })

describe('the task table (SPEC section 6)', () => {
  test.each([
    // task, avg input, avg output, expected
    ['classification', 100, 10, 'aggressive'],
    ['classification', 50_000, 2000, 'aggressive'],
    ['extraction', 4000, 100, 'aggressive'],
    ['extraction', 4001, 100, 'moderate'],
    ['summarisation', 4000, 100, 'moderate'],
    ['summarisation', 4001, 100, 'conservative'],
    ['generation', 4000, 500, 'conservative'],
    ['generation', 4000, 501, null],
    ['generation', 4001, 100, null],
    [null, 1000, 100, 'conservative'],
    [null, 1000, 2000, null],
    [null, 9000, 100, null],
    ['reasoning', 100, 10, null],
    ['reasoning', 9000, 10, null],
  ] as Array<[Task | null, number, number, string | null]>)('%p, %p in / %p out -> %p', (task, input, output, expected) => {
    expect(aggressivenessFor(task, shape(input, output), LONG).aggressiveness).toBe(expected as never)
  })

  test('the short-output signal is 500 tokens', () => {
    expect(SHORT_OUTPUT_TOKENS).toBe(500)
  })

  test('the long-prompt threshold is the one passed in', () => {
    expect(aggressivenessFor('extraction', shape(3000), 2000).aggressiveness).toBe('moderate')
    expect(aggressivenessFor('extraction', shape(3000), 8000).aggressiveness).toBe('aggressive')
  })
})

describe('the rule in words', () => {
  test.each([
    ['classification', shape(100), 'classification → aggressive'],
    ['extraction', shape(9000), 'extraction with long prompts (> 4,000 input tokens) → moderate'],
    ['summarisation', shape(100), 'summarisation with short prompts (≤ 4,000 input tokens) → moderate'],
    ['generation', shape(100, 80), 'generation with short outputs (≤ 500 output tokens) and short prompts (≤ 4,000 input tokens) → conservative'],
    [null, shape(100, 900), 'untagged traffic with long outputs (> 500 output tokens) and short prompts (≤ 4,000 input tokens) is left alone'],
    ['reasoning', shape(100), 'reasoning is never downgraded'],
  ] as Array<[Task | null, { avgInputTokens: number; avgOutputTokens: number }, string]>)('%p', (task, s, rule) => {
    expect(aggressivenessFor(task, s, LONG).rule).toBe(rule)
  })
})
