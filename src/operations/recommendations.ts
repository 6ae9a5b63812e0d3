import { DAY_MS, HOUR_MS } from '../domain'
import { recommend } from '../recommend/engine'
import type { Recommendation } from '../recommend/types'
import type { RollupStore } from '../storage/rollups'
import type { AdminDeps } from './deps'
import { RecommendationCache } from './recommendation-cache'

/** One list per roll-up store (one per app), shared by the admin API and the dashboard. */
const caches = new WeakMap<RollupStore, RecommendationCache>()

/**
 * Recommendations for an org's traffic in [since, until) (SPEC section 6), biggest saving first: the admin API's
 * answer, the dashboard's Recommendations page and the canary action all come from here. Computed from the roll-up
 * store's usage groups over the hours `since` and `until` fall in, then kept while nothing they came from changes.
 */
export async function recommendationsFor(
  deps: Pick<AdminDeps, 'storage' | 'registry' | 'clock'>, org: string, since: number, until: number,
): Promise<Recommendation[]> {
  const rollups = deps.storage.rollups
  let cache = caches.get(rollups)
  if (!cache) caches.set(rollups, (cache = new RecommendationCache(() => deps.clock().getTime())))
  const registry = deps.registry.current()
  const windowDays = Math.max((until - since) / DAY_MS, 1 / 24)
  // The groups are summed in whole hours, so within an hour the window's edges move nothing.
  const key = `${since - (since % HOUR_MS)}:${until - (until % HOUR_MS)}:${windowDays}:${await rollups.version()}`
  return cache.get(org, key, registry, async () => recommend(await rollups.usageGroups(org, since, until), registry, windowDays))
}
