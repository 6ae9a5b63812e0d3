/**
 * RecommendMemo: a list computed again after new traffic, with the suggestions of unchanged groups kept from the last
 * run, is exactly the list the engine gives over every group.
 */
import { describe, expect, test } from 'bun:test'
import type { UsageGroup } from '../../src/domain'
import { rankBySaving, recommend } from '../../src/recommend/engine'
import { RecommendMemo } from '../../src/recommend/memo'
import { builtinRegistry } from '../../src/registry/load'

const registry = builtinRegistry()

function group(i: number, over: Partial<UsageGroup> = {}): UsageGroup {
  return {
    provider: 'openai', model: i % 2 ? 'gpt-4o' : 'gpt-4.1', task: i % 3 ? 'classification' : null, feature: `feature-${i}`,
    requests: 100 + i, inputTokens: 50_000 + i * 10, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0,
    outputTokens: 5_000, costUsd: 1, unpricedRequests: 0, ...over,
  }
}

function runOver(memo: RecommendMemo, groups: UsageGroup[]) {
  const run = memo.run()
  const list = rankBySaving(groups.map((g) => run.recommend(g)).filter((r) => r !== null))
  run.finish()
  return { list, computed: run.computed, kept: run.kept }
}

describe('RecommendMemo', () => {
  test('the first run computes every group and lists what recommend lists', () => {
    const groups = Array.from({ length: 40 }, (_, i) => group(i))
    const first = runOver(new RecommendMemo(registry, 30), groups)
    expect(first.computed).toBe(40)
    expect(first.list.length).toBeGreaterThan(10)
    expect(JSON.stringify(first.list)).toBe(JSON.stringify(recommend(groups, registry, 30)))
  })

  test('after new traffic only the changed and new groups are computed again; the list is exactly recommend\'s', () => {
    const memo = new RecommendMemo(registry, 30)
    const groups = Array.from({ length: 40 }, (_, i) => group(i))
    const before = runOver(memo, groups).list
    // One group got more requests, one gone, one new, and the order changed (the store's order may).
    const after = [...groups.slice(0, 5), group(5, { requests: 5_000, inputTokens: 9_000_000 }), ...groups.slice(7), group(99)].reverse()
    const again = runOver(memo, after)
    expect(again.computed).toBe(2)
    expect(again.kept).toBe(after.length - 2)
    expect(JSON.stringify(again.list)).toBe(JSON.stringify(recommend(after, registry, 30)))
    // A kept suggestion is the very object of the last list; the changed group's is new and says so.
    const sameGroup = (a: { feature: string | null }) => (b: { feature: string | null }) => a.feature === b.feature
    const unchanged = before.find((r) => r.feature === 'feature-1')!
    expect(again.list.find(sameGroup(unchanged))).toBe(unchanged)
    const changed = again.list.find((r) => r.feature === 'feature-5')
    expect(changed?.requests).toBe(5_000)
  })

  test('a group whose tokens changed but not its requests is computed again', () => {
    const memo = new RecommendMemo(registry, 30)
    runOver(memo, [group(1)])
    const again = runOver(memo, [group(1, { outputTokens: 900_000 })])
    expect(again.computed).toBe(1)
    expect(JSON.stringify(again.list)).toBe(JSON.stringify(recommend([group(1, { outputTokens: 900_000 })], registry, 30)))
  })

  test('a window of no days is refused, as recommend refuses it', () => {
    expect(() => new RecommendMemo(registry, 0)).toThrow(RangeError)
    expect(() => recommend([], registry, 0)).toThrow(RangeError)
  })
})
