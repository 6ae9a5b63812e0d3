/**
 * Marks that tell every instance's kept roll-up days (rollup-days.ts) that a finished day changed. A finished UTC
 * day's roll-ups change only when re-pricing corrects them or when a late event of that day is written (a long
 * request that started before midnight, events that waited in the queue or the spill file through an outage);
 * retention drops events, never roll-ups. Each of these bumps a
 * counter in `meta` in its own transaction, so a reader that reads the counters and the roll-ups in one snapshot
 * knows which of its kept days are still what the database holds:
 *
 * - `rollups.day:<day, 15 digits>:<org>`: one (org, day) changed (a late event, re-pricing);
 * - `rollups.epoch`: everything may have changed (`bumpRollupEpoch`: after editing roll-up tables by hand).
 *
 * `lectr migrate-to-postgres` needs no mark: it refuses a database that holds anything, and every Lectr writes its
 * `default` org at its first start, so no instance can have kept a day of the database it fills.
 *
 * The writer marks the days of its batch that are before its own today; writes to a day while it is still today
 * need no mark, because a reader keeps a day only once it has been over for `SETTLE_MS` (clock skew between
 * instances and transactions still committing at midnight stay within that).
 *
 * Lock order: a mark is the last statement of its transaction, after the roll-up upserts, and a transaction's marks
 * are upserted in one statement in one (JavaScript) key order, so the writer and re-pricing never wait on each other
 * in a cycle.
 */
import type { SQL } from 'bun'
import type { LectrEvent } from '../../domain'
import { dayOf } from '../rollups'

/** A finished day is kept only once it has been over this long; until then it is read as it is at every read. */
export const SETTLE_MS = 10 * 60_000

const EPOCH_KEY = 'rollups.epoch'
const DAY_PREFIX = 'rollups.day:'
const pad = (day: number) => String(day).padStart(15, '0')

export function dayMarkKey(org: string, day: number): string {
  return `${DAY_PREFIX}${pad(day)}:${org}`
}

const BUMP = `INSERT INTO meta (key, value) SELECT k, '1' FROM unnest($1::text[]) WITH ORDINALITY AS d(k, ord) ORDER BY ord
  ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`

/** Bumps the marks of these (org, day) pairs: run it last in the transaction that changed their roll-ups. */
export async function markDaysChanged(tx: SQL, days: Iterable<{ org: string; day: number }>): Promise<void> {
  const keys = [...new Set([...days].map(({ org, day }) => dayMarkKey(org, day)))].sort()
  if (keys.length > 0) await tx.unsafe(BUMP, [tx.array(keys, 'TEXT')])
}

/**
 * The writer's part: marks the days of the inserted events that are over by the writer's clock (`now`). Nothing to
 * do, and no statement, for a batch of today's events (nearly every batch). Call it last in the batch's transaction.
 */
export async function markLateDays(tx: SQL, inserted: readonly LectrEvent[], now: number): Promise<void> {
  const today = dayOf(now)
  const late: { org: string; day: number }[] = []
  for (const e of inserted) {
    const day = dayOf(Date.parse(e.time))
    if (day < today) late.push({ org: e.org, day })
  }
  if (late.length > 0) await markDaysChanged(tx, late)
}

/** Every kept day of every instance is read again at its next read (roll-up tables edited by hand). */
export async function bumpRollupEpoch(tx: SQL): Promise<void> {
  await tx.unsafe(BUMP, [tx.array([EPOCH_KEY], 'TEXT')])
}

/**
 * The marks of an org's days [first, last) as one string per day (`epoch:count`), to compare with those its kept
 * days were read with; a day never marked has `epoch:0`. Read it in the snapshot the days are read in.
 */
export async function readMarks(sql: SQL, org: string, first: number, last: number): Promise<(day: number) => string> {
  const rows: { key: string; value: string }[] = await sql.unsafe(
    `SELECT key, value FROM meta WHERE key = $1 OR (key COLLATE "C" >= $2 AND key COLLATE "C" < $3)`,
    [EPOCH_KEY, `${DAY_PREFIX}${pad(first)}:`, `${DAY_PREFIX}${pad(last)}:`],
  )
  let epoch = '0'
  const days = new Map<number, string>()
  for (const r of rows) {
    if (r.key === EPOCH_KEY) {
      epoch = r.value
      continue
    }
    const rest = r.key.slice(DAY_PREFIX.length)
    if (rest.slice(16) === org) days.set(Number(rest.slice(0, 15)), r.value)
  }
  return (day) => `${epoch}:${days.get(day) ?? '0'}`
}

/**
 * What the roll-up store's answers can depend on, for `version()`: every mark (summed: each bump adds one) and the
 * requests of the days not settled yet (`recent` and after, every org), which every batch of such days increases
 * (re-pricing adds no requests, but marks its days). Read from `meta` (a few rows) and `model_rollups_daily`'s
 * rows of those days.
 */
export async function rollupVersion(sql: SQL, recent: number): Promise<string> {
  const [row] = await sql.unsafe(
    `SELECT (SELECT COALESCE(SUM(value::bigint), 0) FROM meta WHERE key COLLATE "C" >= 'rollups.' AND key COLLATE "C" < 'rollups/')::text AS marks,
       (SELECT COALESCE(SUM(requests), 0) FROM model_rollups_daily WHERE day >= $1)::text AS recent`,
    [recent],
  )
  return `${(row as { marks: string }).marks}:${(row as { recent: string }).recent}`
}
