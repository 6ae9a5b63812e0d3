import type { LectrEvent } from '../../domain'
import { dailyDeltas, modelDeltas, rollupDeltas } from '../../rollups/deltas'
import type { ReplayDelta } from '../../rollups/replay-rollup'
import type { RollupDelta } from '../../rollups/rollup'
import type { DeltaRow, RollupTableName } from './rollup-upserts'

// The Postgres writer's roll-up deltas are src/rollups/deltas.ts's, as SQLite's are; only the row layout is its own.

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
 * What events just inserted (each once) add to every roll-up table the writer fills: src/rollups/deltas.ts's
 * groups and sums (the same SQLite's `writeRollups` adds), in the row layout of ROLLUP_TABLES.
 */
export function rollupDeltasOf(inserted: readonly LectrEvent[]): Record<RollupTableName, DeltaRow[]> {
  const d = rollupDeltas(inserted)
  const row = (r: RollupDelta): DeltaRow => [r.org, r.hour, r.provider, r.model, r.feature, r.task, ...rollupSums(r)]
  const modelRow = (m: RollupDelta): DeltaRow => [m.org, m.hour, m.provider, m.model, ...modelSums(m)]
  const modelHourly = modelDeltas(d.hourly)
  return {
    rollupsHourly: d.hourly.map(row),
    rollupsDaily: d.daily.map(row),
    modelHourly: modelHourly.map(modelRow),
    modelDaily: dailyDeltas(modelHourly).map(modelRow),
    latencyHourly: d.latency.map((l) => [l.org, l.hour, l.provider, l.bucket, l.requests]),
    replayDaily: d.replay.map(replayRow),
  }
}
