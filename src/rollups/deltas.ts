import { DAY_MS, type LectrEvent } from '../domain'
import { addToRollup, hourOf, inRollup, mergeRollup, newRollup, rollupKey, type RollupDelta } from './rollup'
import { latencyBucket } from './latency-buckets'
import { addToReplay, newReplay, replayKey, type ReplayDelta } from './replay-rollup'

/** One row's worth of additions to `latency_hourly`. */
export interface LatencyDelta {
  org: string
  hour: number
  provider: string
  bucket: number
  requests: number
}

/** What a batch of newly inserted events adds to each roll-up table. */
export interface RollupDeltas {
  /** `rollups_hourly` rows */
  hourly: RollupDelta[]
  /** `rollups_daily` rows: the same key with `hour` set to the start of the UTC day */
  daily: RollupDelta[]
  latency: LatencyDelta[]
  replay: ReplayDelta[]
}

/**
 * The roll-up additions of events just inserted into the log (never events already in it: each event is counted
 * once, when it is inserted). Pure: the upserts are `writeRollups` (src/rollups/write-sqlite.ts).
 */
export function rollupDeltas(inserted: readonly LectrEvent[]): RollupDeltas {
  const hourly = new Map<string, RollupDelta>()
  /** latency histogram counts (index: bucket) per hourly row, summed per provider below */
  const latencyOf = new Map<RollupDelta, number[]>()
  // Consecutive events mostly share a roll-up row: the last one is checked before building a key.
  let roll: RollupDelta | null = null
  let counts: number[] = []
  const replays = new Map<string, ReplayDelta>()
  // Events recorded in the same millisecond share one time string (see isoNow): parse each only once.
  let timeText = ''
  let time = 0
  for (const e of inserted) {
    if (e.time !== timeText) {
      timeText = e.time
      time = Date.parse(timeText)
    }
    const hour = hourOf(time)
    if (!roll || !inRollup(roll, e, hour)) {
      const key = rollupKey(e, hour)
      roll = hourly.get(key) ?? null
      if (!roll) {
        hourly.set(key, (roll = newRollup(e, hour)))
        latencyOf.set(roll, [])
      }
      counts = latencyOf.get(roll)!
    }
    addToRollup(roll, e)
    const day = hour - (hour % DAY_MS)
    const rkey = replayKey(e, day)
    let replay = replays.get(rkey)
    if (!replay) replays.set(rkey, (replay = newReplay(e, day)))
    addToReplay(replay, e)
    const bucket = latencyBucket(e.latencyMs)
    counts[bucket] = (counts[bucket] ?? 0) + 1
  }
  return { hourly: [...hourly.values()], daily: byDay(hourly.values()), latency: latencyRows(latencyOf), replay: [...replays.values()] }
}

/** Hourly rows summed per UTC day (same key otherwise). */
function byDay(hourly: Iterable<RollupDelta>): RollupDelta[] {
  const days = new Map<string, RollupDelta>()
  for (const r of hourly) {
    const day = r.hour - (r.hour % DAY_MS)
    const key = `${r.org}\u0000${day}\u0000${r.provider}\u0000${r.model}\u0000${r.feature}\u0000${r.task}`
    const d = days.get(key)
    if (d) mergeRollup(d, r)
    else days.set(key, { ...r, hour: day })
  }
  return [...days.values()]
}

function latencyRows(latencyOf: Map<RollupDelta, number[]>): LatencyDelta[] {
  const latency = new Map<string, LatencyDelta>()
  for (const [r, byBucket] of latencyOf) {
    byBucket.forEach((requests, bucket) => {
      const key = `${r.org}\u0000${r.hour}\u0000${r.provider}\u0000${bucket}`
      const l = latency.get(key)
      if (l) l.requests += requests
      else latency.set(key, { org: r.org, hour: r.hour, provider: r.provider, bucket, requests })
    })
  }
  return [...latency.values()]
}

/**
 * Roll-up rows summed without feature and task (`model_rollups_hourly` from hourly rows, `model_rollups_daily` from
 * daily ones): the model distribution reads a few rows per model and day there instead of thousands.
 */
export function modelDeltas(rows: readonly RollupDelta[]): RollupDelta[] {
  const byModel = new Map<string, RollupDelta>()
  for (const r of rows) {
    const key = `${r.org}\u0000${r.hour}\u0000${r.provider}\u0000${r.model}`
    const m = byModel.get(key)
    if (m) mergeRollup(m, r)
    else byModel.set(key, { ...r, feature: '', task: '' })
  }
  return [...byModel.values()]
}
