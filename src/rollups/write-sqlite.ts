/**
 * The roll-up tables, all kept by the writer in the transaction that inserts their events:
 * - `rollups_hourly`, `rollups_daily` (migration 7): the full key (provider, model, feature, task) per hour and per
 *   UTC day. The roll-up store (src/storage/sqlite/) fills its kept finished days, and reads today, from the daily
 *   one (about 9,400 rows a day at 10M events against 52,000 hourly); 30 days of groups straight from it take
 *   340 ms (quiet) to 1.2 s (loaded), so they are kept in memory rather than read per page.
 * - `model_rollups_hourly`, `model_rollups_daily`: the same sums without feature and task. Kept, measured at 10M
 *   events (bench/events/distribution.ts's database, 2026-12-07, shared 2-core machine): the 30-day model
 *   distribution reads 26–36 ms from them against 740–820 ms from rollups_daily + rollups_hourly (~9,400 daily rows
 *   a day against ~100).
 * - `latency_hourly` (percentiles) and `replay_rollups_daily` (the routing dry run): keys of their own.
 */
import type { Database, Statement } from 'bun:sqlite'
import type { LectrEvent } from '../domain'
import { dailyDeltas, modelDeltas, rollupDeltas } from './deltas'
import { REPLAY_UPSERT_SQL, replayUpsertArgs } from './replay-rollup'

/** The upsert of a roll-up with the full key; `rollups_hourly` and `rollups_daily` differ only in their time column. */
function rollupUpsert(table: 'rollups_hourly' | 'rollups_daily', time: 'hour' | 'day'): string {
  return `INSERT INTO ${table} (org_id, ${time}, provider, model, feature, task, requests, errors, input_tokens,
      cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum,
      cache_write_tokens, cache_write_1h_tokens)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (org_id, ${time}, provider, model, feature, task) DO UPDATE SET
      requests = requests + excluded.requests, errors = errors + excluded.errors,
      input_tokens = input_tokens + excluded.input_tokens,
      cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
      output_tokens = output_tokens + excluded.output_tokens,
      reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
      cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
      cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
      cost_usd = cost_usd + excluded.cost_usd, unpriced_requests = unpriced_requests + excluded.unpriced_requests,
      latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`
}

/** The upsert of a per-model roll-up; the hourly and daily ones differ only in their time column. */
function modelRollupUpsert(table: 'model_rollups_hourly' | 'model_rollups_daily', time: 'hour' | 'day'): string {
  return `INSERT INTO ${table} (org_id, ${time}, provider, model, requests, errors, input_tokens, output_tokens,
      cost_usd, unpriced_requests, latency_ms_sum, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (org_id, ${time}, provider, model) DO UPDATE SET
      requests = requests + excluded.requests, errors = errors + excluded.errors,
      input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
      cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
      cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
      cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
      cost_usd = cost_usd + excluded.cost_usd, unpriced_requests = unpriced_requests + excluded.unpriced_requests,
      latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`
}

interface Upserts {
  hourly: Statement
  daily: Statement
  modelHourly: Statement
  modelDaily: Statement
  latency: Statement
  replay: Statement
}

/** Prepared once per connection. */
const prepared = new WeakMap<Database, Upserts>()

function upsertsOf(db: Database): Upserts {
  let u = prepared.get(db)
  if (!u) {
    u = {
      hourly: db.prepare(rollupUpsert('rollups_hourly', 'hour')),
      daily: db.prepare(rollupUpsert('rollups_daily', 'day')),
      modelHourly: db.prepare(modelRollupUpsert('model_rollups_hourly', 'hour')),
      modelDaily: db.prepare(modelRollupUpsert('model_rollups_daily', 'day')),
      latency: db.prepare(
        `INSERT INTO latency_hourly (org_id, hour, provider, bucket, requests) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (org_id, hour, provider, bucket) DO UPDATE SET requests = requests + excluded.requests`,
      ),
      replay: db.prepare(REPLAY_UPSERT_SQL),
    }
    prepared.set(db, u)
  }
  return u
}

/**
 * Adds events just inserted into the log to every roll-up table. Call inside the transaction that inserted them,
 * with only those actually inserted (an event already in the log was counted when it was).
 */
export function writeRollups(db: Database, inserted: readonly LectrEvent[]): void {
  if (inserted.length === 0) return
  const u = upsertsOf(db)
  const d = rollupDeltas(inserted)
  for (const r of d.hourly) {
    u.hourly.run(
      r.org, r.hour, r.provider, r.model, r.feature, r.task, r.requests, r.errors, r.inputTokens, r.cachedInputTokens,
      r.outputTokens, r.reasoningTokens, r.costUsd, r.unpricedRequests, r.latencyMsSum, r.cacheWriteTokens, r.cacheWrite1hTokens,
    )
  }
  for (const r of d.daily) {
    u.daily.run(
      r.org, r.hour, r.provider, r.model, r.feature, r.task, r.requests, r.errors, r.inputTokens, r.cachedInputTokens,
      r.outputTokens, r.reasoningTokens, r.costUsd, r.unpricedRequests, r.latencyMsSum, r.cacheWriteTokens, r.cacheWrite1hTokens,
    )
  }
  const modelHourly = modelDeltas(d.hourly)
  for (const [stmt, rows] of [[u.modelHourly, modelHourly], [u.modelDaily, dailyDeltas(modelHourly)]] as const) {
    for (const m of rows) {
      stmt.run(
        m.org, m.hour, m.provider, m.model, m.requests, m.errors, m.inputTokens, m.outputTokens, m.costUsd, m.unpricedRequests,
        m.latencyMsSum, m.cachedInputTokens, m.cacheWriteTokens, m.cacheWrite1hTokens,
      )
    }
  }
  for (const l of d.latency) u.latency.run(l.org, l.hour, l.provider, l.bucket, l.requests)
  for (const r of d.replay) u.replay.run(...replayUpsertArgs(r))
}
