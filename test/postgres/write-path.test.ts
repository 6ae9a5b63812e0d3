import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { HOUR_MS, type LectrEvent } from '../../src/domain'
import { connectPostgres } from '../../src/storage/postgres/connect'
import { toEvent, type EventRow } from '../../src/events/columns'
import { LIMITS, shownString } from '../../src/limits'
import { insertEventBatch, insertNewEventBatch, isDuplicateEvent } from '../../src/storage/postgres/event-batch'
import { POSTGRES_EVENT_COLUMNS } from '../../src/storage/postgres/event-columns'
import { migratePostgres } from '../../src/storage/postgres/migrations'
import { PartitionDays } from '../../src/storage/postgres/partitions'
import { postgresFailure } from '../../src/storage/postgres/errors'
import { addAllDeltas, addDeltas, ROLLUP_TABLES, sortedDeltas, type DeltaRow } from '../../src/storage/postgres/rollup-upserts'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'
import { event } from '../helpers/event'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg.stop()
})

let databases = 0
async function migratedDatabase(): Promise<{ sql: SQL; url: string }> {
  const url = await createDatabase(pg, `w${++databases}`)
  const sql = connectPostgres(url)
  await migratePostgres(sql)
  return { sql, url }
}

const T0 = Date.UTC(2026, 11, 7, 10)
const at = (ms: number) => new Date(T0 + ms).toISOString()

describe('the batched event insert (src/storage/postgres/event-batch.ts)', () => {
  test('writes every field of a batch in one statement, and reads back what was written', async () => {
    const { sql } = await migratedDatabase()
    const days = new PartitionDays()
    const batch = [
      event({ time: at(0) }),
      event({ time: at(1), stream: true, status: 429, errorCode: 'rate_limit', costUsd: null, inputTokens: null, feature: 'chat', task: 'generation' }),
      event({ time: at(2), routedProvider: 'groq', routedModel: 'llama', ruleId: 'r1', arm: 'canary', attempts: 2, baselineCostUsd: 0.5, usageEstimated: true }),
    ]
    await days.ensure(sql, batch.map((e) => Date.parse(e.time)))
    const inserted = await sql.begin((tx) => insertEventBatch(tx, batch))
    const rows = await sql`SELECT id, time::float8 AS time, stream, status, error_code, cost_usd, input_tokens::float8 AS input_tokens, feature,
      routed_provider, arm, attempts, baseline_cost_usd, usage_estimated, latency_ms FROM events ORDER BY id`
    await sql.close()
    expect(inserted).toEqual(batch)
    expect(rows.map((r: Record<string, unknown>) => ({ ...r }))).toEqual([
      { id: batch[0]!.id, time: T0, stream: 0, status: 200, error_code: null, cost_usd: 0.000075, input_tokens: 10, feature: null, routed_provider: null, arm: null, attempts: 1, baseline_cost_usd: null, usage_estimated: 0, latency_ms: 120.5 },
      { id: batch[1]!.id, time: T0 + 1, stream: 1, status: 429, error_code: 'rate_limit', cost_usd: null, input_tokens: null, feature: 'chat', routed_provider: null, arm: null, attempts: 1, baseline_cost_usd: null, usage_estimated: 0, latency_ms: 120.5 },
      { id: batch[2]!.id, time: T0 + 2, stream: 0, status: 200, error_code: null, cost_usd: 0.000075, input_tokens: 10, feature: null, routed_provider: 'groq', arm: 'canary', attempts: 2, baseline_cost_usd: 0.5, usage_estimated: 1, latency_ms: 120.5 },
    ])
  })

  test('returns only the events not already written: a replayed batch adds nothing, an event twice in a batch counts once', async () => {
    const { sql } = await migratedDatabase()
    const days = new PartitionDays()
    const first = [event({ time: at(0) }), event({ time: at(1) })]
    const fresh = event({ time: at(2) })
    await days.ensure(sql, [T0])
    expect(await insertEventBatch(sql, first)).toEqual(first)
    expect(await insertEventBatch(sql, first)).toEqual([])
    expect(await insertEventBatch(sql, [first[1]!, fresh, fresh])).toEqual([fresh])
    const [row] = await sql`SELECT COUNT(*)::int AS n FROM events`
    await sql.close()
    expect(row.n).toBe(3)
  })

  test('the statement for new events inserts a whole batch, or nothing when one of its events is stored already or twice in it', async () => {
    const { sql } = await migratedDatabase()
    const first = [event({ time: at(0) }), event({ time: at(1) })]
    const fresh = event({ time: at(2) })
    await new PartitionDays().ensure(sql, [T0])
    await sql.begin((tx) => insertNewEventBatch(tx, first))
    const failures: unknown[] = []
    for (const batch of [[fresh, first[1]!], [fresh, fresh]]) {
      await sql.begin((tx) => insertNewEventBatch(tx, batch)).catch((err) => failures.push(err))
    }
    const rows = await sql`SELECT id FROM events ORDER BY id`
    await sql.close()
    expect(failures.map(isDuplicateEvent)).toEqual([true, true])
    expect(failures.map(postgresFailure)).toEqual(['rejected', 'rejected'])
    expect(rows.map((r: { id: string }) => r.id)).toEqual(first.map((e) => e.id))
  })

  test('3,000 events in one statement (beyond the 65,535 parameters a multi-row VALUES list could bind)', async () => {
    const { sql } = await migratedDatabase()
    const batch = Array.from({ length: 3000 }, (_, i) => event({ time: at(i * 1000), model: `m${i % 7}` }))
    await new PartitionDays().ensure(sql, batch.map((e) => Date.parse(e.time)))
    const inserted = await insertEventBatch(sql, batch)
    const [row] = await sql`SELECT COUNT(*)::int AS n, COUNT(DISTINCT model)::int AS models FROM events`
    await sql.close()
    expect(inserted.length).toBe(3000)
    expect(row).toEqual({ n: 3000, models: 7 })
  })

  test("a client's string Postgres cannot store (U+0000) does not fail the batch: it is stored as U+FFFD", async () => {
    const { sql } = await migratedDatabase()
    const batch = [event({ time: at(0), model: 'gpt\u00004o', feature: 'a\u0000' }), event({ time: at(1), model: "quotes ' \" \\ {} , NULL" })]
    await new PartitionDays().ensure(sql, [T0])
    expect((await insertEventBatch(sql, batch)).length).toBe(2)
    const rows = await sql`SELECT model, feature FROM events ORDER BY id`
    await sql.close()
    expect(rows.map((r: Record<string, unknown>) => ({ ...r }))).toEqual([
      { model: 'gpt\uFFFD4o', feature: 'a\uFFFD' },
      { model: "quotes ' \" \\ {} , NULL", feature: null },
    ])
  })
})

/** A rollups_hourly delta row: key (org, hour, provider, model, feature, task), then the eleven sums. */
function hourly(model: string, requests: number, cost: number, hour = T0): DeltaRow {
  return ['o1', hour, 'openai', model, '', '', requests, 0, 10 * requests, 0, 5 * requests, 0, cost, 0, 100 * requests, 0, 0]
}

async function sums(sql: SQL, table = 'rollups_hourly'): Promise<Record<string, { requests: number; cost: number }>> {
  const rows: { model: string; requests: number; cost: number }[] = await sql.unsafe(
    `SELECT model, requests::float8 AS requests, cost_usd AS cost FROM ${table} ORDER BY model`,
  )
  return Object.fromEntries(rows.map((r) => [r.model, { requests: r.requests, cost: r.cost }]))
}

describe('roll-up upserts that add deltas (src/storage/postgres/rollup-upserts.ts)', () => {
  test('rows are sorted by key (column by column: org, hour, then the group) and rows of one key summed (a statement may update a row only once)', () => {
    const t = ROLLUP_TABLES.rollupsHourly
    expect(sortedDeltas(t, [hourly('b', 1, 0.5), hourly('a', 2, 0.25), hourly('b', 3, 0.125), hourly('a', 1, 1, T0 + HOUR_MS)])).toEqual([
      hourly('a', 2, 0.25), hourly('b', 4, 0.625), hourly('a', 1, 1, T0 + HOUR_MS),
    ])
  })

  test('a new key is inserted, an existing one has the delta added to it', async () => {
    const { sql } = await migratedDatabase()
    await addDeltas(sql, ROLLUP_TABLES.rollupsHourly, [hourly('a', 1, 0.5)])
    await addDeltas(sql, ROLLUP_TABLES.rollupsHourly, [hourly('b', 2, 0.25), hourly('a', 3, 0.25), hourly('a', 1, 0.25)])
    const got = await sums(sql)
    const [tokens] = await sql`SELECT input_tokens::float8 AS input, latency_ms_sum AS latency FROM rollups_hourly WHERE model = 'a'`
    await sql.close()
    expect(got).toEqual({ a: { requests: 5, cost: 1 }, b: { requests: 2, cost: 0.25 } })
    expect(tokens).toEqual({ input: 50, latency: 500 })
  })

  test('writes every roll-up table it is given, each with its own key', async () => {
    const { sql } = await migratedDatabase()
    await addAllDeltas(sql, {
      rollupsDaily: [['o1', T0 - (T0 % 86_400_000), 'openai', 'a', 'f', 't', 2, 0, 1, 1, 1, 1, 0.5, 0, 10, 0, 0]],
      modelHourly: [['o1', T0, 'openai', 'a', 2, 0, 1, 1, 0.5, 0, 10, 0, 0, 0]],
      modelDaily: [['o1', T0 - (T0 % 86_400_000), 'openai', 'a', 2, 0, 1, 1, 0.5, 0, 10, 0, 0, 0]],
      latencyHourly: [['o1', T0, 'openai', 3, 2]],
      replayDaily: [['o1', T0 - (T0 % 86_400_000), 'openai', 'a', 'f', 't', 'chat/completions', 1, 0, 2, 0, 1, 0, 0, 0, 1, 0.5]],
    })
    const counts = await sql`SELECT
      (SELECT requests::float8 FROM rollups_daily) AS daily, (SELECT requests::float8 FROM model_rollups_hourly) AS model_hourly,
      (SELECT requests::float8 FROM model_rollups_daily) AS model_daily, (SELECT requests::float8 FROM latency_hourly) AS latency,
      (SELECT requests::float8 FROM replay_rollups_daily) AS replay, (SELECT COUNT(*)::int FROM rollups_hourly) AS hourly_rows`
    await sql.close()
    expect({ ...counts[0] }).toEqual({ daily: 2, model_hourly: 2, model_daily: 2, latency: 2, replay: 2, hourly_rows: 0 })
  })

  test('two writers adding to overlapping keys in opposite orders, 200 times each: exact sums, no deadlock', async () => {
    const { sql, url } = await migratedDatabase()
    const a = connectPostgres(url, { max: 1 })
    const b = connectPostgres(url, { max: 1 })
    const models = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}`)
    const forward = models.map((m) => hourly(m, 1, 0.25))
    const backward = [...models].reverse().map((m) => hourly(m, 2, 0.5))
    const byModel = (rows: DeltaRow[]) => rows.map((r) => ['o1', r[1], 'openai', r[3], r[6], 0, r[8], 0, r[12], 0, r[14], 0, 0, 0] as DeltaRow)
    const write = async (client: SQL, rows: DeltaRow[]) => {
      for (let i = 0; i < 200; i++) {
        await client.begin((tx) => addAllDeltas(tx, { rollupsHourly: rows, modelHourly: byModel(rows).reverse() }))
      }
    }
    await Promise.all([write(a, forward), write(b, backward)])
    const got = await sums(sql)
    const gotModels = await sums(sql, 'model_rollups_hourly')
    await Promise.all([a.close(), b.close(), sql.close()])
    const expected = Object.fromEntries(models.map((m) => [m, { requests: 600, cost: 150 }]))
    expect(got).toEqual(expected)
    expect(gotModels).toEqual(expected)
  })

  test('the problem the key order prevents: two writers locking the same rows in opposite orders deadlock', async () => {
    const { url } = await migratedDatabase()
    const a = connectPostgres(url, { max: 1 })
    const b = connectPostgres(url, { max: 1 })
    const t = ROLLUP_TABLES.rollupsHourly
    await addDeltas(a, t, [hourly('x', 1, 0), hourly('y', 1, 0)])
    // One row per statement, in the caller's order: what the upsert would do without sorting.
    const ra = await a.reserve()
    const rb = await b.reserve()
    await ra`SET deadlock_timeout = '100ms'`
    await rb`SET deadlock_timeout = '100ms'`
    await ra`BEGIN`
    await rb`BEGIN`
    await addDeltas(ra, t, [hourly('x', 1, 0)])
    await addDeltas(rb, t, [hourly('y', 1, 0)])
    const outcomes = await Promise.allSettled([addDeltas(ra, t, [hourly('y', 1, 0)]), addDeltas(rb, t, [hourly('x', 1, 0)])])
    await ra`ROLLBACK`
    await rb`ROLLBACK`
    ra.release()
    rb.release()
    await Promise.all([a.close(), b.close()])
    const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))
    expect(failures).toHaveLength(1)
    expect(failures[0]).toContain('deadlock detected')
  })
})

describe('reading events back (src/storage/postgres/event-columns.ts)', () => {
  test('every field of an event survives the round trip through Postgres and toEvent, as through SQLite', async () => {
    const { sql } = await migratedDatabase()
    const full = event({
      time: at(123), org: 'org-2', provider: 'anthropic', providerUnknown: true, detection: 'header', model: 'claude-x',
      responseModel: 'claude-x-2026', endpoint: 'messages', stream: true, status: 207, errorCode: 'upstream_cut',
      inputTokens: 9_000_000_001, cachedInputTokens: 11, cacheWriteTokens: 12, cacheWrite1hTokens: 13, outputTokens: 14,
      reasoningTokens: 15, costUsd: 1.2345678901, latencyMs: 99.125, ttfbMs: 3.5, feature: 'f', task: 'reasoning',
      usageEstimated: true, registryVersion: 'reg-9', routedProvider: 'groq', routedModel: 'llama', ruleId: 'r-1',
      arm: 'control', routeSkipped: 'no_key', attempts: 3, baselineCostUsd: 0.001,
    })
    const bare = event({ time: at(124), model: null, responseModel: null, inputTokens: null, costUsd: null, ttfbMs: null, attempts: null })
    await new PartitionDays().ensure(sql, [T0])
    await insertEventBatch(sql, [full, bare])
    const rows = await sql.unsafe(`SELECT ${POSTGRES_EVENT_COLUMNS} FROM events ORDER BY id`)
    await sql.close()
    expect(rows.map((r: EventRow) => toEvent(r))).toEqual([full, bare])
  })

  test('the COPY of new events stores every value exactly as the skipping insert does (escapes, nulls, -0, big and odd numbers)', async () => {
    const { sql } = await migratedDatabase()
    const awkward = ['tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', '\\N', 'NULL', '', "quotes ' \" {} ,", 'emoji 🚀 é', 'nul\u0000in', '\\.', ' spaces ']
    const batch = awkward.map((text, i) =>
      event({
        time: at(i), model: text, feature: text, task: i % 2 ? null : 'generation', errorCode: text, routeSkipped: text,
        inputTokens: 9_000_000_001 + i, outputTokens: i === 3 ? null : 2 ** 53 - 1, costUsd: [0.1 + 0.2, -0, 1e-300, 5e-324, 1.7976931348623157e308][i % 5]!,
        latencyMs: i === 1 ? -0 : 1 / 3, ttfbMs: i % 3 ? null : 123456.789012345, status: [200, 429, 0, 2147483647][i % 4]!,
        baselineCostUsd: i === 5 ? -0 : i === 6 ? null : Math.PI, stream: i % 2 === 0, usageEstimated: i % 3 === 0,
      }),
    )
    const copied = batch.map((e) => ({ ...e, org: 'copied' }))
    await new PartitionDays().ensure(sql, [T0])
    await sql.begin((tx) => insertNewEventBatch(tx, copied))
    await insertEventBatch(sql, batch)
    const read = async (org: string): Promise<(LectrEvent & { texts: unknown[] })[]> =>
      (await sql.unsafe(`SELECT ${POSTGRES_EVENT_COLUMNS}, cost_usd::text AS cost_text, latency_ms::text AS latency_text, baseline_cost_usd::text AS baseline_text
        FROM events WHERE org_id = $1 ORDER BY id`, [org])).map((r: EventRow & Record<string, string>) => ({ ...toEvent(r), org: '', texts: [r.cost_text, r.latency_text, r.baseline_text] }))
    const viaCopy = await read('copied')
    const viaInsert = await read('default')
    await sql.close()
    expect(viaCopy).toEqual(viaInsert)
    expect(viaCopy.map((e) => e.model)).toEqual(awkward.map((t) => t.replaceAll('\u0000', '\uFFFD')))
    expect(viaCopy[1]!.texts[1]).toBe('0')
  })

  test("a client's huge model name is read cut, as SQLite's reads cut it", async () => {
    const { sql } = await migratedDatabase()
    const huge = 'm'.repeat(LIMITS.shown * 3)
    await new PartitionDays().ensure(sql, [T0])
    await insertEventBatch(sql, [event({ time: at(0), model: huge })])
    const [row] = await sql.unsafe(`SELECT ${POSTGRES_EVENT_COLUMNS} FROM events`)
    await sql.close()
    expect(toEvent(row as EventRow).model).toBe(shownString(huge))
    expect(toEvent(row as EventRow).model!.length).toBe(LIMITS.shown + 1)
  })
})
