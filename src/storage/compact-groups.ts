/**
 * A kept day's groups in few objects: the group keys and names (strings shared across days) and every sum in one
 * Float64Array. At 10M events the day cache holds 31 days of ~10,000 groups; as one object per group (14 fields) that
 * was ~300 MiB of small objects for the garbage collector to walk, and its pauses held proxied requests.
 * A number survives a Float64Array exactly, so a group read back is the group that was stored.
 */
import type { Group } from './rollups'

const SUMS = ['requests', 'errors', 'costUsd', 'unpricedRequests', 'latencyMsSum', 'inputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens'] as const
const WIDTH = SUMS.length

export class CompactGroups {
  private constructor(
    private readonly keys: string[],
    /** provider, model, task, feature of each group in turn */
    private readonly names: string[],
    private readonly sums: Float64Array,
  ) {}

  /** @param share returns one string for equal strings (so days share their names) */
  static of(groups: Map<string, Group>, share: (s: string) => string): CompactGroups {
    const keys: string[] = []
    const names: string[] = []
    const sums = new Float64Array(groups.size * WIDTH)
    let i = 0
    for (const [key, g] of groups) {
      keys.push(share(key))
      names.push(share(g.provider), share(g.model), share(g.task), share(g.feature))
      for (let k = 0; k < WIDTH; k++) sums[i * WIDTH + k] = g[SUMS[k]!]
      i++
    }
    return new CompactGroups(keys, names, sums)
  }

  get size(): number {
    return this.keys.length
  }

  /** The i-th group as a new object (fields in the order a roll-up read gives them). */
  group(i: number): Group {
    const s = this.sums
    const o = i * WIDTH
    const n = i * 4
    return {
      provider: this.names[n]!, model: this.names[n + 1]!, task: this.names[n + 2]!, feature: this.names[n + 3]!,
      requests: s[o]!, errors: s[o + 1]!, costUsd: s[o + 2]!, unpricedRequests: s[o + 3]!, latencyMsSum: s[o + 4]!,
      inputTokens: s[o + 5]!, cachedInputTokens: s[o + 6]!, cacheWriteTokens: s[o + 7]!, cacheWrite1hTokens: s[o + 8]!, outputTokens: s[o + 9]!,
    }
  }

  /** Each group with its key, in the order they were stored (new objects). */
  *entries(): Generator<[string, Group]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.group(i)]
  }

  [Symbol.iterator](): Generator<[string, Group]> {
    return this.entries()
  }

  *values(): Generator<Group> {
    for (let i = 0; i < this.keys.length; i++) yield this.group(i)
  }

  /** Adds the groups [from, to) (default all) to `into` (as addSums does, field by field), a new object for a key `into` lacks. */
  addTo(into: Map<string, Group>, from = 0, to = this.keys.length): void {
    const s = this.sums
    for (let i = from; i < Math.min(to, this.keys.length); i++) {
      const mine = into.get(this.keys[i]!)
      if (!mine) {
        into.set(this.keys[i]!, this.group(i))
        continue
      }
      const o = i * WIDTH
      mine.requests += s[o]!
      mine.errors += s[o + 1]!
      mine.costUsd += s[o + 2]!
      mine.unpricedRequests += s[o + 3]!
      mine.latencyMsSum += s[o + 4]!
      mine.inputTokens += s[o + 5]!
      mine.cachedInputTokens += s[o + 6]!
      mine.cacheWriteTokens += s[o + 7]!
      mine.cacheWrite1hTokens += s[o + 8]!
      mine.outputTokens += s[o + 9]!
    }
  }
}
