/**
 * An org's list of recommendations, kept while the roll-ups and the registry it came from are unchanged. Paging
 * through the list (the dashboard's pages, the API's limit/offset, "Try as a canary") then costs a slice, not a new
 * sum of 30 days of groups and a run of the engine over each of them. Results are never stale: the key holds the
 * window's hours and the roll-up store's version (`RollupStore.version`), the entry the registry object in force,
 * and an entry is dropped after `maxAgeMs` anyway so an idle org does not keep a large list.
 *
 * When the list must be computed again (new events moved the version), the entry's `RecommendMemo` goes with it:
 * only the groups that changed run through the engine again.
 */
import { RecommendMemo } from '../recommend/memo'
import type { Registry } from '../registry/schema'
import type { Recommendation } from '../recommend/types'

interface Entry {
  key: string
  registry: Registry
  at: number
  rows: Recommendation[]
  memo: RecommendMemo
}

export class RecommendationCache {
  private entries = new Map<string, Entry>()

  constructor(
    private now: () => number,
    private maxAgeMs = 60_000,
  ) {}

  /**
   * The org's list for `key` and `registry`, computed by `compute` unless kept from an earlier call; `compute` gets
   * the org's memo for `registry` and `windowDays` (the last run's suggestions per group).
   */
  async get(
    org: string, key: string, registry: Registry, windowDays: number, compute: (memo: RecommendMemo) => Promise<Recommendation[]>,
  ): Promise<Recommendation[]> {
    const now = this.now()
    for (const [o, e] of this.entries) if (now - e.at > this.maxAgeMs || now < e.at) this.entries.delete(o)
    const kept = this.entries.get(org)
    if (kept && kept.key === key && kept.registry === registry) return kept.rows
    const memo = kept && kept.memo.registry === registry && kept.memo.windowDays === windowDays ? kept.memo : new RecommendMemo(registry, windowDays)
    const rows = await compute(memo)
    this.entries.set(org, { key, registry, at: now, rows, memo })
    return rows
  }
}
