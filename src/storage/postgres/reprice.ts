import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import type { Registry } from '../../registry/schema'
import { countRepriced, priceUnpriced, REPRICE_PAGE, replayRowKey, roundRepricedCost, type Repriced, type RepricedSums, type UnpricedRow } from '../reprice-rows'
import { dayOf, type RepriceResult } from '../rollups'
import { LOCK_NAMESPACE, REPRICE_LOCK } from './locks'
import { markDaysChanged } from './rollup-marks'
import { addDeltas, ROLLUP_TABLES, sortedDeltas, type AdditiveTable, type DeltaRow } from './rollup-upserts'



/**
 * Additions to one roll-up row, in the order SQLite's `repriceEvents` makes them (src/storage/sqlite/reprice.ts):
 * float additions in another order could round differently.
 */
class Additions {
  private rows = new Map<string, { key: DeltaRow; sums: number[][] }>()

  add(key: DeltaRow, sums: number[]): void {
    const k = JSON.stringify(key)
    const row = this.rows.get(k)
    if (row) row.sums.push(sums)
    else this.rows.set(k, { key, sums: [sums] })
  }

  /**
   * Round n holds each row's n-th addition: each round is one upsert, in the writer's key order. Every row is locked
   * by the first round (so in key order, as the writer locks them); the later ones add to rows already held.
   */
  rounds(): DeltaRow[][] {
    const rounds: DeltaRow[][] = []
    for (const { key, sums } of this.rows.values()) {
      sums.forEach((s, n) => (rounds[n] ??= []).push([...key, ...s]))
    }
    return rounds
  }
}

const ARRAY_TYPE = { text: 'TEXT', bigint: 'INT8', smallint: 'INT2', float8: 'FLOAT8' } as const

/**
 * Adds the rounds of additions to one table's rows that exist, as SQLite's UPDATEs do (an upsert alone would make a
 * row missing from a hand-edited database). The rows are locked first, in the writer's key order (`sortedDeltas`;
 * a SELECT … ORDER BY … FOR UPDATE locks rows as it returns them, after sorting); round 0 holds every row's key.
 */
async function addToExisting(tx: SQL, t: AdditiveTable, rounds: readonly DeltaRow[][]): Promise<void> {
  if (rounds.length === 0 || rounds[0]!.length === 0) return
  const width = t.key.length
  const keyOf = (row: DeltaRow) => JSON.stringify(row.slice(0, width))
  const sorted = sortedDeltas(t, rounds[0]!)
  const names = t.key.map(([c]) => c).join(', ')
  const found: { ord: number }[] = await tx.unsafe(
    `SELECT d.ord::int AS ord FROM unnest(${t.key.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) WITH ORDINALITY AS d(${names}, ord)
     JOIN ${t.table} r USING (${names}) ORDER BY d.ord FOR UPDATE OF r`,
    t.key.map(([, type], c) => tx.array(sorted.map((row) => row[c]), ARRAY_TYPE[type])),
  )
  const existing = new Set(found.map((f) => keyOf(sorted[f.ord - 1]!)))
  for (const round of rounds) await addDeltas(tx, t, round.filter((row) => existing.has(keyOf(row))))
}

const SELECT_UNPRICED = `SELECT id, time::float8 AS time, provider, model, routed_provider, routed_model, response_model, feature, task, endpoint,
    stream, input_tokens::float8 AS input_tokens, cached_input_tokens::float8 AS cached_input_tokens,
    cache_write_tokens::float8 AS cache_write_tokens, cache_write_1h_tokens::float8 AS cache_write_1h_tokens,
    output_tokens::float8 AS output_tokens, reasoning_tokens::float8 AS reasoning_tokens
  FROM events WHERE org_id = $1 AND id COLLATE "C" > $2 AND time >= $3 AND time < $4 AND cost_usd IS NULL
    AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL
  ORDER BY id COLLATE "C" LIMIT ${REPRICE_PAGE}`

const UPDATE_EVENTS = `UPDATE events e SET cost_usd = d.cost, registry_version = d.version
  FROM unnest($2::text[], $3::bigint[], $4::float8[], $5::text[]) AS d(id, time, cost, version)
  WHERE e.org_id = $1 AND e.id = d.id AND e.time = d.time AND e.cost_usd IS NULL
  RETURNING e.id`

/**
 * As SQLite's `repriceEvents`, on Postgres: prices an org's events in [since, until) that have token counts but no
 * cost, and corrects every roll-up they were counted in by the difference, all in one transaction. The roll-up rows
 * are changed by the writer's own upserts (rollup-upserts.ts), tables in its order and keys in its order, so a
 * re-pricing and a batch being written lock rows in one order and never deadlock; re-pricings take turns (a lock).
 */
export async function repricePostgres(sql: SQL, org: string, since: number, until: number, registry: Registry): Promise<RepriceResult> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${REPRICE_LOCK}::int)`
    let repriced = 0
    let stillUnpriced = 0
    let added = 0
    const replay = new Additions()
    const rollups = new Map<string, RepricedSums>()
    let after = ''
    for (;;) {
      const rows: UnpricedRow[] = await tx.unsafe(SELECT_UNPRICED, [org, after, since, until])
      const priced: { r: UnpricedRow; p: Repriced }[] = []
      for (const r of rows) {
        const p = priceUnpriced(r, registry)
        if (!p) stillUnpriced++
        else priced.push({ r, p })
      }
      const updated = new Set<string>()
      if (priced.length > 0) {
        const done: { id: string }[] = await tx.unsafe(UPDATE_EVENTS, [
          org, tx.array(priced.map(({ r }) => r.id), 'TEXT'), tx.array(priced.map(({ r }) => r.time), 'INT8'),
          tx.array(priced.map(({ p }) => p.cost), 'FLOAT8'), tx.array(priced.map(({ p }) => p.version), 'TEXT'),
        ])
        for (const d of done) updated.add(d.id)
      }
      for (const { r, p } of priced) {
        if (!updated.has(r.id)) continue
        const cost = p.cost
        repriced++
        added += cost
        // The dry run's roll-up sums tokens of priced events only: a newly priced event's tokens join them.
        replay.add(replayRowKey(org, r), [0, -1, r.input_tokens, r.cached_input_tokens ?? 0, r.cache_write_tokens ?? 0, r.cache_write_1h_tokens ?? 0, r.output_tokens, cost])
        countRepriced(rollups, r, p)
      }
      if (rows.length < REPRICE_PAGE) break
      after = rows[rows.length - 1]!.id
    }
    const hourly: DeltaRow[] = []
    const daily = new Additions()
    const byModel = new Map<string, RepricedSums>()
    // requests, errors, input, cached input, output, reasoning, COST, UNPRICED, latency, cache writes, 1h cache writes
    const rollupSums = (d: RepricedSums) => [0, 0, 0, 0, 0, 0, d.cost, -d.events, 0, 0, 0]
    // requests, errors, input, output, COST, UNPRICED, latency, cached input, cache writes, 1h cache writes
    const modelSums = (d: RepricedSums) => [0, 0, 0, 0, d.cost, -d.events, 0, 0, 0, 0]
    for (const [key, d] of rollups) {
      const [hour, provider, model, feature, task] = JSON.parse(key) as [number, string, string, string, string]
      hourly.push([org, hour, provider, model, feature, task, ...rollupSums(d)])
      daily.add([org, hour - (hour % DAY_MS), provider, model, feature, task], rollupSums(d))
      const mkey = JSON.stringify([hour, provider, model])
      const m = byModel.get(mkey)
      if (m) (m.cost += d.cost, m.events += d.events)
      else byModel.set(mkey, { ...d })
    }
    const modelHourly: DeltaRow[] = []
    const modelDaily = new Additions()
    for (const [key, d] of byModel) {
      const [hour, provider, model] = JSON.parse(key) as [number, string, string]
      modelHourly.push([org, hour, provider, model, ...modelSums(d)])
      modelDaily.add([org, hour - (hour % DAY_MS), provider, model], modelSums(d))
    }
    // The writer's table order (ROLLUP_TABLES), each table's rows in key order.
    await addToExisting(tx, ROLLUP_TABLES.rollupsHourly, [hourly])
    await addToExisting(tx, ROLLUP_TABLES.rollupsDaily, daily.rounds())
    await addToExisting(tx, ROLLUP_TABLES.modelHourly, [modelHourly])
    await addToExisting(tx, ROLLUP_TABLES.modelDaily, modelDaily.rounds())
    await addToExisting(tx, ROLLUP_TABLES.replayDaily, replay.rounds())
    // Every instance's kept copy of these days is stale now (last: the writer's lock order, rollup-marks.ts).
    await markDaysChanged(tx, [...rollups.keys()].map((key) => ({ org, day: dayOf(JSON.parse(key)[0] as number) })))
    const [count] = await tx.unsafe(
      `SELECT COUNT(*)::float8 AS n FROM events WHERE org_id = $1 AND time >= $2 AND time < $3 AND cost_usd IS NULL
         AND (input_tokens IS NULL OR output_tokens IS NULL)`,
      [org, since, until],
    )
    return { repriced, costUsd: roundRepricedCost(added), stillUnpriced, withoutTokenCounts: (count as { n: number }).n }
  })
}
