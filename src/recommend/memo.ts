import type { Registry } from '../registry/schema'
import type { UsageGroup } from '../domain'
import { checkWindowDays, recommendGroup } from './engine'
import type { Recommendation } from './types'

interface Kept {
  key: string
  group: UsageGroup
  recommendation: Recommendation | null
}

/** The last run's groups in their order, and by key (made when first needed). */
class LastRun {
  private byKey: Map<string, Kept> | null = null
  constructor(readonly list: readonly Kept[]) {}
  get(key: string): Kept | undefined {
    if (!this.byKey) this.byKey = new Map(this.list.map((k) => [k.key, k]))
    return this.byKey.get(key)
  }
}

/**
 * The engine's suggestion for each group of the last run, for one registry and window. A group's suggestion depends
 * on that group alone (its names, requests and tokens), so a group unchanged since the last run gets the very same
 * suggestion (the same object) without running the engine again. While requests arrive, a new list differs from the
 * last one only in the few groups that had traffic since: at 10M events (11,880 groups over 30 days) that is a few
 * groups to run the engine over instead of all of them.
 */
export class RecommendMemo {
  private last = new LastRun([])

  constructor(
    readonly registry: Registry,
    readonly windowDays: number,
  ) {
    checkWindowDays(windowDays)
  }

  /**
   * One run over a window's groups. Runs are independent (two may interleave); the last to finish is kept for the
   * next, with only its own groups, so a group gone from the window is not kept.
   */
  run(): MemoRun {
    return new MemoRun(this, this.last, (next) => {
      this.last = new LastRun(next)
    })
  }
}

export class MemoRun {
  private readonly next: Kept[] = []
  /** groups the engine ran over in this run */
  computed = 0
  /** groups whose suggestion was kept from the last run */
  kept = 0

  constructor(
    private readonly memo: RecommendMemo,
    private readonly last: LastRun,
    private readonly done: (next: Kept[]) => void,
  ) {}

  /** `group`'s suggestion (or null): the kept one when the group is as it was, else the engine's. */
  recommend(group: UsageGroup): Recommendation | null {
    // The store gives the groups in much the same order every time: the group at the same place is tried first,
    // which spares building the key of each group (a string of four names) and a map lookup.
    const same = this.last.list[this.next.length]
    const kept = same && sameNames(same.group, group) ? same : this.last.get(keyOf(group))
    if (kept && sameMix(kept.group, group)) {
      this.next.push(kept)
      this.kept++
      return kept.recommendation
    }
    this.computed++
    const recommendation = recommendGroup(group, this.memo.registry, this.memo.windowDays)
    this.next.push({ key: kept?.key ?? keyOf(group), group, recommendation })
    return recommendation
  }

  finish(): void {
    this.done(this.next)
  }
}

function keyOf(g: UsageGroup): string {
  return `${g.provider}\u0000${g.model}\u0000${g.task ?? '\u0001'}\u0000${g.feature ?? '\u0001'}`
}

function sameNames(a: UsageGroup, b: UsageGroup): boolean {
  return a.provider === b.provider && a.model === b.model && a.task === b.task && a.feature === b.feature
}

/** Everything of a group the engine reads besides its names (see recommendGroup); `costUsd` it does not read. */
function sameMix(a: UsageGroup, b: UsageGroup): boolean {
  return (
    a.requests === b.requests &&
    a.inputTokens === b.inputTokens &&
    a.cachedInputTokens === b.cachedInputTokens &&
    a.cacheWriteTokens === b.cacheWriteTokens &&
    a.cacheWrite1hTokens === b.cacheWrite1hTokens &&
    a.outputTokens === b.outputTokens
  )
}
