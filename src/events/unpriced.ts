import { DAY_MS } from '../domain'
import type { Database } from 'bun:sqlite'
import { shownColumn, shownString } from '../limits'


/** A model requests were sent to without a price (SPEC section 12): the Registry page offers to add one. */
export interface UnpricedModel {
  provider: string
  model: string
  /** requests that could not be priced */
  unpricedRequests: number
  /** every request to it in the window */
  requests: number
}

/**
 * The models seen without a price since `since`, across every org (prices are global), most unpriced requests first.
 * Read from the daily model roll-ups (today's row included: the writer adds to it with every batch), so the window
 * starts at the UTC day `since` falls in.
 *
 * @example unpricedModels(db, Date.now() - 30 * 86_400_000)[0] // { provider: 'groq', model: 'openai/gpt-oss-120b', unpricedRequests: 412, requests: 412 }
 */
export function unpricedModels(db: Database, since: number, limit = 200): UnpricedModel[] {
  const day = since - (((since % DAY_MS) + DAY_MS) % DAY_MS)
  const rows = db
    .query(
      `SELECT provider, ${shownColumn('model')} AS model, SUM(unpriced_requests) AS unpricedRequests, SUM(requests) AS requests
       FROM model_rollups_daily WHERE day >= ? AND model != ''
       GROUP BY provider, model HAVING SUM(unpriced_requests) > 0
       ORDER BY unpricedRequests DESC, provider, model LIMIT ?`,
    )
    .all(day, limit) as UnpricedModel[]
  // A name cut for showing (a legacy row over the length limit) cannot be priced by that name: left out.
  return rows.filter((r) => shownString(r.model) === r.model)
}
