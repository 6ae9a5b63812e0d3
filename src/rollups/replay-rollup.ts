import { DAY_MS } from '../domain'
import type { LectrEvent } from '../domain'

/**
 * `replay_rollups_daily`: the events of a day (UTC) grouped by what a routing rule matches on (the provider detection
 * chose, the model as requested, feature, task, endpoint, stream), so a dry run (src/routing/dry-run.ts) replays a
 * month of requests from at most a few hundred thousand rows instead of millions of events. Daily, not hourly: with
 * many models, features and tasks an hour's rows are nearly as many as its events. `rollups_hourly` cannot serve: it has
 * no endpoint or stream and counts a routed request under the model that served it, not the one requested.
 *
 * Token sums are over priced events only (those with a cost), so re-pricing them at another model compares like
 * with like; `unpriced_requests` counts the others.
 *
 * Price tiers apply per request (more input tokens than a tier's `aboveInputTokens`), so a sum of tokens can be
 * re-priced only if every request of a row falls on the same side of every tier. `input_class` keeps them apart:
 * 0 for requests of at most INPUT_CLASS_FLOOR input tokens, else ceil(input / 1000), so a row holds requests with
 * input in (1000 (k - 1), 1000 k]. Exact for every tier at a multiple of 1000 from the floor up (every tier known
 * today: 100k, 128k, 200k, 272k); a dry run with any other tier reads the raw events instead.
 */
export const INPUT_CLASS_FLOOR = 32_000
export const INPUT_CLASS_STEP = 1000

export function inputClassOf(inputTokens: number | null): number {
  const n = inputTokens ?? 0
  return n > INPUT_CLASS_FLOOR ? Math.ceil(n / INPUT_CLASS_STEP) : 0
}

/** The input-token count every request of an input class is priced at: the top of its range (0 below the floor). */
export function inputOfClass(inputClass: number): number {
  return inputClass * INPUT_CLASS_STEP
}

/** `inputClassOf` in SQL, over the events table. */
const INPUT_CLASS_SQL = `CASE WHEN COALESCE(input_tokens, 0) > ${INPUT_CLASS_FLOOR} THEN (input_tokens + ${INPUT_CLASS_STEP - 1}) / ${INPUT_CLASS_STEP} ELSE 0 END`

export interface ReplayDelta {
  org: string
  day: number
  provider: string
  model: string
  feature: string
  task: string
  endpoint: string
  stream: number
  inputClass: number
  requests: number
  unpricedRequests: number
  inputTokens: number
  cachedInputTokens: number
  cacheWriteTokens: number
  cacheWrite1hTokens: number
  outputTokens: number
  costUsd: number
}

export function replayKey(e: LectrEvent, day: number): string {
  return `${e.org}\u0000${day}\u0000${e.provider}\u0000${e.model ?? ''}\u0000${e.feature ?? ''}\u0000${e.task ?? ''}\u0000${e.endpoint}\u0000${e.stream ? 1 : 0}\u0000${inputClassOf(e.inputTokens)}`
}

export function newReplay(e: LectrEvent, day: number): ReplayDelta {
  return {
    org: e.org, day, provider: e.provider, model: e.model ?? '', feature: e.feature ?? '', task: e.task ?? '', endpoint: e.endpoint,
    stream: e.stream ? 1 : 0, inputClass: inputClassOf(e.inputTokens), requests: 0, unpricedRequests: 0, inputTokens: 0,
    cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, costUsd: 0,
  }
}

export function addToReplay(r: ReplayDelta, e: LectrEvent): void {
  r.requests++
  if (e.costUsd === null) {
    r.unpricedRequests++
    return
  }
  r.inputTokens += e.inputTokens ?? 0
  r.cachedInputTokens += e.cachedInputTokens ?? 0
  r.cacheWriteTokens += e.cacheWriteTokens ?? 0
  r.cacheWrite1hTokens += e.cacheWrite1hTokens ?? 0
  r.outputTokens += e.outputTokens ?? 0
  r.costUsd += e.costUsd
}

export const REPLAY_UPSERT_SQL = `INSERT INTO replay_rollups_daily (org_id, day, provider, model, feature, task, endpoint, stream, input_class,
    requests, unpriced_requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, cost_usd)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (org_id, day, provider, model, feature, task, endpoint, stream, input_class) DO UPDATE SET
    requests = requests + excluded.requests, unpriced_requests = unpriced_requests + excluded.unpriced_requests,
    input_tokens = input_tokens + excluded.input_tokens, cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
    cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
    output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd`

export function replayUpsertArgs(r: ReplayDelta): (string | number)[] {
  return [
    r.org, r.day, r.provider, r.model, r.feature, r.task, r.endpoint, r.stream, r.inputClass, r.requests, r.unpricedRequests,
    r.inputTokens, r.cachedInputTokens, r.cacheWriteTokens, r.cacheWrite1hTokens, r.outputTokens, r.costUsd,
  ]
}

/**
 * The roll-up's rows computed from raw events, grouped by day (`dayExpr`) or not: the migration's backfill and the
 * dry run's exact path (any tier the classes cannot represent) share it, so both count exactly as the writer does.
 */
export function replayGroupSql(dayExpr: string, where: string, inputClassExpr = INPUT_CLASS_SQL): string {
  const priced = (col: string) => `COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(${col}, 0) END), 0)`
  return `SELECT org_id, ${dayExpr} AS day, provider, COALESCE(model, '') AS model, COALESCE(feature, '') AS feature,
      COALESCE(task, '') AS task, endpoint, stream, ${inputClassExpr} AS input_class, COUNT(*) AS requests,
      SUM(cost_usd IS NULL) AS unpriced_requests, ${priced('input_tokens')} AS input_tokens,
      ${priced('cached_input_tokens')} AS cached_input_tokens, ${priced('cache_write_tokens')} AS cache_write_tokens,
      ${priced('cache_write_1h_tokens')} AS cache_write_1h_tokens, ${priced('output_tokens')} AS output_tokens,
      TOTAL(cost_usd) AS cost_usd
    FROM events WHERE ${where}
    GROUP BY org_id, 2, provider, 4, 5, 6, endpoint, stream, input_class`
}

/** Fills the roll-up from every event already in the log (migration 6, and the benchmark's directly built database). */
export const REPLAY_BACKFILL_SQL = `INSERT INTO replay_rollups_daily (org_id, day, provider, model, feature, task, endpoint, stream, input_class,
    requests, unpriced_requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, cost_usd)
  ${replayGroupSql(`time - time % ${DAY_MS}`, '1')}`
