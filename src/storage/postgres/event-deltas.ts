import { DAY_MS, type LectrEvent } from '../../domain'
import { latencyBucket } from '../../events/latency-buckets'
import { addToReplay, newReplay, replayKey, type ReplayDelta } from '../../events/replay-rollup'
import { addToRollup, hourOf, mergeRollup, newRollup, rollupKey, type RollupDelta } from '../../events/rollup'
import type { DeltaRow, RollupTableName } from './rollup-upserts'

// The one place the Postgres writer turns inserted events into roll-up deltas, from the same pure functions the
// SQLite writer uses (src/storage/sqlite/event-rollups.ts). When src/rollups/ computes a batch's deltas for every
// store, `rollupDeltasOf` is replaced by it; only the row layout below (ROLLUP_TABLES' column order) stays.

/** rollups_hourly / rollups_daily sums, in ROLLUP_TABLES' column order */
function rollupSums(r: RollupDelta): number[] {
  return [
    r.requests, r.errors, r.inputTokens, r.cachedInputTokens, r.outputTokens, r.reasoningTokens, r.costUsd,
    r.unpricedRequests, r.latencyMsSum, r.cacheWriteTokens, r.cacheWrite1hTokens,
  ]
}

/** model_rollups_hourly / _daily sums, in ROLLUP_TABLES' column order */
function modelSums(m: RollupDelta): number[] {
  return [
    m.requests, m.errors, m.inputTokens, m.outputTokens, m.costUsd, m.unpricedRequests, m.latencyMsSum,
    m.cachedInputTokens, m.cacheWriteTokens, m.cacheWrite1hTokens,
  ]
}

function replayRow(r: ReplayDelta): DeltaRow {
  return [
    r.org, r.day, r.provider, r.model, r.feature, r.task, r.endpoint, r.stream, r.inputClass,
    r.requests, r.unpricedRequests, r.inputTokens, r.cachedInputTokens, r.cacheWriteTokens, r.cacheWrite1hTokens,
    r.outputTokens, r.costUsd,
  ]
}

/**
 * What events just inserted (each once) add to every roll-up table the writer fills: the same groups and sums as
 * SQLite's `writeRollups`, plus `rollups_daily`. Rows of equal key may repeat (`addAllDeltas` merges them).
 */
export function rollupDeltasOf(inserted: readonly LectrEvent[]): Record<RollupTableName, DeltaRow[]> {
  const rollups = new Map<string, RollupDelta>()
  const latency = new Map<string, { org: string; hour: number; provider: string; bucket: number; requests: number }>()
  const replays = new Map<string, ReplayDelta>()
  for (const e of inserted) {
    const hour = hourOf(Date.parse(e.time))
    const key = rollupKey(e, hour)
    let roll = rollups.get(key)
    if (!roll) rollups.set(key, (roll = newRollup(e, hour)))
    addToRollup(roll, e)
    const day = hour - (hour % DAY_MS)
    const rkey = replayKey(e, day)
    let replay = replays.get(rkey)
    if (!replay) replays.set(rkey, (replay = newReplay(e, day)))
    addToReplay(replay, e)
    // Counted under the provider that served it, as the roll-up row is (SQLite sums the histogram per roll-up row).
    const bucket = latencyBucket(e.latencyMs)
    const lkey = `${roll.org}\u0000${hour}\u0000${roll.provider}\u0000${bucket}`
    const l = latency.get(lkey)
    if (l) l.requests++
    else latency.set(lkey, { org: roll.org, hour, provider: roll.provider, bucket, requests: 1 })
  }
  const byModel = new Map<string, RollupDelta>()
  const rollupsHourly: DeltaRow[] = []
  const rollupsDaily: DeltaRow[] = []
  for (const r of rollups.values()) {
    rollupsHourly.push([r.org, r.hour, r.provider, r.model, r.feature, r.task, ...rollupSums(r)])
    rollupsDaily.push([r.org, r.hour - (r.hour % DAY_MS), r.provider, r.model, r.feature, r.task, ...rollupSums(r)])
    const mkey = `${r.org}\u0000${r.hour}\u0000${r.provider}\u0000${r.model}`
    const m = byModel.get(mkey)
    if (m) mergeRollup(m, r)
    else byModel.set(mkey, { ...r })
  }
  const modelHourly: DeltaRow[] = []
  const modelDaily: DeltaRow[] = []
  for (const m of byModel.values()) {
    modelHourly.push([m.org, m.hour, m.provider, m.model, ...modelSums(m)])
    modelDaily.push([m.org, m.hour - (m.hour % DAY_MS), m.provider, m.model, ...modelSums(m)])
  }
  return {
    rollupsHourly,
    rollupsDaily,
    modelHourly,
    modelDaily,
    latencyHourly: [...latency.values()].map((l) => [l.org, l.hour, l.provider, l.bucket, l.requests]),
    replayDaily: [...replays.values()].map(replayRow),
  }
}
