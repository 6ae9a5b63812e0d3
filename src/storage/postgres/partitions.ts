import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import { LOCK_NAMESPACE, PARTITION_LOCK } from './migrations'

/** The UTC day (its first millisecond) an event time falls in. */
export function dayOf(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS) * DAY_MS
}

/** `events_20261207`: the partition of `events` that holds the UTC day starting at `dayMs`. */
export function partitionName(dayMs: number): string {
  return `events_${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`
}

/** The day a partition name stands for, or null for a name that is not one of ours. */
export function partitionDay(name: string): number | null {
  const m = /^events_(\d{4})(\d{2})(\d{2})$/.exec(name)
  if (!m) return null
  const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return partitionName(day) === name ? day : null
}

/**
 * Creates the partitions of these days that are missing (each holds [day, day + 24 h) of `time`). Serialised under an
 * advisory lock: two instances creating the same partition at once would otherwise race in the catalog (one of them
 * fails on a duplicate type name). An event whose day has no partition cannot be inserted, so the writer calls this
 * for the days of a batch it has not ensured yet (see `PartitionDays`), and the store for today and tomorrow at start.
 */
export async function ensureEventPartitions(sql: SQL, days: Iterable<number>): Promise<void> {
  const wanted = [...new Set([...days].map(dayOf))].sort((a, b) => a - b)
  if (wanted.length === 0) return
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${PARTITION_LOCK}::int)`
    for (const day of wanted) {
      // Identifiers and bounds come from numbers formatted here, never from input.
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF events FOR VALUES FROM (${day}) TO (${day + DAY_MS})`)
    }
  })
}

/** The days that have a partition, oldest first. */
export async function eventPartitionDays(sql: SQL): Promise<number[]> {
  const rows: { name: string }[] = await sql`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass`
  return rows.map((r) => partitionDay(r.name)).filter((d): d is number => d !== null).sort((a, b) => a - b)
}

/**
 * Retention without scanning: drops every partition whose whole day ends at or before `cutoffMs`, and returns the
 * days dropped. (The day the cutoff falls in keeps its events older than the cutoff until it is whole; a store that
 * must cut exactly deletes those from that one partition.)
 */
export async function dropEventPartitionsBefore(sql: SQL, cutoffMs: number): Promise<number[]> {
  const dropped: number[] = []
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${PARTITION_LOCK}::int)`
    for (const day of await eventPartitionDays(tx)) {
      if (day + DAY_MS > cutoffMs) break
      await tx.unsafe(`DROP TABLE ${partitionName(day)}`)
      dropped.push(day)
    }
  })
  return dropped
}

/**
 * The days this instance knows have a partition, so that a batch costs no catalog work unless it brings a new day.
 * `forgetBefore` after retention: a dropped day must be created again if an old event for it still arrives.
 */
export class PartitionDays {
  private readonly known = new Set<number>()

  /** Ensures the partitions of these event times; returns how many days were not known before. */
  async ensure(sql: SQL, times: Iterable<number>): Promise<number> {
    const missing = new Set<number>()
    for (const t of times) {
      const day = dayOf(t)
      if (!this.known.has(day)) missing.add(day)
    }
    if (missing.size === 0) return 0
    await ensureEventPartitions(sql, missing)
    for (const day of missing) this.known.add(day)
    return missing.size
  }

  forgetBefore(cutoffMs: number): void {
    for (const day of this.known) if (day + DAY_MS <= cutoffMs) this.known.delete(day)
  }
}
