import { describe, expect, test } from 'bun:test'
import { withoutDateSuffix } from '../../src/registry/lookup'

describe('withoutDateSuffix', () => {
  test('drops a dated suffix in either spelling and leaves other ids alone', () => {
    expect(withoutDateSuffix('gpt-4o-2024-08-06')).toBe('gpt-4o')
    expect(withoutDateSuffix('claude-sonnet-4-20250514')).toBe('claude-sonnet-4')
    expect(withoutDateSuffix('gpt-4o')).toBe('gpt-4o')
    expect(withoutDateSuffix('o3-mini-2025')).toBe('o3-mini-2025')
  })

  test('answers the same after many thousand distinct ids (its memo is bounded and starts over)', () => {
    for (let i = 0; i < 10_000; i++) expect(withoutDateSuffix(`m${i}-2024-01-0${i % 10}`)).toBe(`m${i}`)
    expect(withoutDateSuffix('gpt-4o-2024-08-06')).toBe('gpt-4o')
    expect(withoutDateSuffix('gpt-4o-mini')).toBe('gpt-4o-mini')
  })
})
