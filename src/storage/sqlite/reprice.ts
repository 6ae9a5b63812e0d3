import { DAY_MS } from '../../domain'
import type { Database } from 'bun:sqlite'
import type { Registry } from '../../registry/schema'
import { countRepriced, priceUnpriced, REPRICE_PAGE, replayRowKey, roundRepricedCost, type RepricedSums, type UnpricedRow } from '../reprice-rows'
import type { RepriceResult } from '../rollups'



/**
 * Prices an org's events in [since, until) that have token counts but no cost, with `registry` (the registry and
 * overrides in force): the same lookup and formula as the proxy (the answer's model, then the requested one; the
 * provider actually used; cache writes). Each repriced event's `cost_usd` and `registry_version` change in the same
 * transaction as the roll-ups it was counted in (its cost added, one unpriced request less), so totals read from
 * roll-ups equal the sums over the events. Events with a cost are never touched, so running it twice changes nothing
 * the second time.
 *
 * @example repriceEvents(db, 'default', Date.now() - 7 * 86_400_000, Date.now(), registryStore.current())
 */
export function repriceEvents(db: Database, org: string, since: number, until: number, registry: Registry): RepriceResult {
  const select = db.query(
    `SELECT id, time, provider, model, routed_provider, routed_model, response_model, feature, task, endpoint, stream, input_tokens, cached_input_tokens, cache_write_tokens,
      cache_write_1h_tokens, output_tokens, reasoning_tokens
     FROM events WHERE org_id = ? AND id > ? AND time >= ? AND time < ? AND cost_usd IS NULL
      AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL
     ORDER BY id LIMIT ${REPRICE_PAGE}`,
  )
  const updateEvent = db.query('UPDATE events SET cost_usd = ?, registry_version = ? WHERE org_id = ? AND id = ? AND cost_usd IS NULL')
  const updateRollup = db.query(
    `UPDATE rollups_hourly SET cost_usd = cost_usd + ?, unpriced_requests = unpriced_requests - ?
     WHERE org_id = ? AND hour = ? AND provider = ? AND model = ? AND feature = ? AND task = ?`,
  )
  const updateDaily = db.query(
    `UPDATE rollups_daily SET cost_usd = cost_usd + ?, unpriced_requests = unpriced_requests - ?
     WHERE org_id = ? AND day = ? AND provider = ? AND model = ? AND feature = ? AND task = ?`,
  )
  const updateModelHourly = db.query(
    `UPDATE model_rollups_hourly SET cost_usd = cost_usd + ?, unpriced_requests = unpriced_requests - ?
     WHERE org_id = ? AND hour = ? AND provider = ? AND model = ?`,
  )
  const updateModelDaily = db.query(
    `UPDATE model_rollups_daily SET cost_usd = cost_usd + ?, unpriced_requests = unpriced_requests - ?
     WHERE org_id = ? AND day = ? AND provider = ? AND model = ?`,
  )
  // The dry run's roll-up sums tokens of priced events only: a newly priced event's tokens join them.
  const updateReplay = db.query(
    `UPDATE replay_rollups_daily SET cost_usd = cost_usd + ?, unpriced_requests = unpriced_requests - 1, input_tokens = input_tokens + ?,
       cached_input_tokens = cached_input_tokens + ?, cache_write_tokens = cache_write_tokens + ?, cache_write_1h_tokens = cache_write_1h_tokens + ?,
       output_tokens = output_tokens + ?
     WHERE org_id = ? AND day = ? AND provider = ? AND model = ? AND feature = ? AND task = ? AND endpoint = ? AND stream = ? AND input_class = ?`,
  )
  return db.transaction(() => {
    let repriced = 0
    let stillUnpriced = 0
    let added = 0
    const rollups = new Map<string, RepricedSums>()
    let after = ''
    for (;;) {
      const rows = select.all(org, after, since, until) as UnpricedRow[]
      for (const r of rows) {
        const p = priceUnpriced(r, registry)
        if (!p) {
          stillUnpriced++
          continue
        }
        const cost = p.cost
        if (updateEvent.run(cost, p.version, org, r.id).changes === 0) continue
        repriced++
        added += cost
        updateReplay.run(
          cost, r.input_tokens, r.cached_input_tokens ?? 0, r.cache_write_tokens ?? 0, r.cache_write_1h_tokens ?? 0, r.output_tokens,
          ...replayRowKey(org, r),
        )
        countRepriced(rollups, r, p)
      }
      if (rows.length < REPRICE_PAGE) break
      after = rows[rows.length - 1]!.id
    }
    const byModel = new Map<string, RepricedSums>()
    for (const [key, d] of rollups) {
      const [hour, provider, model, feature, task] = JSON.parse(key) as [number, string, string, string, string]
      updateRollup.run(d.cost, d.events, org, hour, provider, model, feature, task)
      updateDaily.run(d.cost, d.events, org, hour - (hour % DAY_MS), provider, model, feature, task)
      const mkey = JSON.stringify([hour, provider, model])
      const m = byModel.get(mkey)
      if (m) (m.cost += d.cost, m.events += d.events)
      else byModel.set(mkey, { ...d })
    }
    for (const [key, d] of byModel) {
      const [hour, provider, model] = JSON.parse(key) as [number, string, string]
      updateModelHourly.run(d.cost, d.events, org, hour, provider, model)
      updateModelDaily.run(d.cost, d.events, org, hour - (hour % DAY_MS), provider, model)
    }
    const withoutTokenCounts = (
      db
        .query('SELECT COUNT(*) AS n FROM events WHERE org_id = ? AND time >= ? AND time < ? AND cost_usd IS NULL AND (input_tokens IS NULL OR output_tokens IS NULL)')
        .get(org, since, until) as { n: number }
    ).n
    return { repriced, costUsd: roundRepricedCost(added), stillUnpriced, withoutTokenCounts }
  })()
}
