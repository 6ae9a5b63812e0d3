/**
 * The roll-up store's contract, run against SQLite and Postgres (one throwaway cluster for this file): the same mixed
 * events (orgs, providers, models, features, tasks, statuses, routed requests, unpriced models, several days) appended
 * to both give the same answers, byte for byte as JSON, for every RollupStore method over windows that start and end
 * inside days, cover whole days and reach into today. Re-pricing gives the same result on both and leaves every
 * roll-up table equal; the answers after it are equal again. Postgres's `version()` moves when another instance writes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import type { SQL } from 'bun'
import { migrate } from '../../../src/db/open'
import { DAY_MS, HOUR_MS, type LectrEvent } from '../../../src/domain'
import { builtinRegistry } from '../../../src/registry/load'
import { withOverrides } from '../../../src/registry/overlay'
import type { EventStore } from '../../../src/storage/events'
import { connectPostgres } from '../../../src/storage/postgres/connect'
import { PostgresEventStore } from '../../../src/storage/postgres/events'
import { migratePostgres } from '../../../src/storage/postgres/migrations'
import { bumpRollupEpoch } from '../../../src/storage/postgres/rollup-marks'
import { PostgresRollupStore } from '../../../src/storage/postgres/rollups'
import type { RollupFilter, RollupStore, Span, SpanParts } from '../../../src/storage/rollups'
import { SqliteEventStore } from '../../../src/storage/sqlite/events'
import { SqliteRollupStore } from '../../../src/storage/sqlite/rollups'
import { createDatabase, startPostgres, type Postgres } from '../../helpers/postgres'
import { event } from '../../helpers/event'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})

const DAY = Date.UTC(2026, 10, 30) // today, for both stores
const NOW = DAY + 15 * HOUR_MS + 30 * 60_000
const now = () => NOW

interface Opened {
  events: EventStore
  rollups: RollupStore
  /** every row of a roll-up table, numbers as numbers, in key order */
  table(name: string): Promise<Record<string, string | number>[]>
  /** Postgres: the database's address */
  url(): Promise<string>
  /** a statement run as-is (a hand-edited database) */
  raw(statement: string): Promise<void>
  /** one more store on the same database, as another instance would have */
  other(): { events: EventStore; rollups: RollupStore }
  close(): Promise<void>
}

const TEXT_COLUMNS = new Set(['org_id', 'provider', 'model', 'feature', 'task', 'endpoint'])
function numbers(row: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(row)) out[k] = TEXT_COLUMNS.has(k) ? (v as string) : Number(v)
  return out
}
function byKey(a: Record<string, string | number>, b: Record<string, string | number>): number {
  const x = JSON.stringify(Object.values(a))
  const y = JSON.stringify(Object.values(b))
  return x < y ? -1 : x > y ? 1 : 0
}

let databases = 0
const sqlite = async (): Promise<Opened> => {
  const db = new Database(':memory:', { strict: true })
  migrate(db)
  return {
    events: new SqliteEventStore(db),
    rollups: new SqliteRollupStore(db, { now }),
    table: async (name) => (db.query(`SELECT * FROM ${name}`).all() as Record<string, unknown>[]).map(numbers).sort(byKey),
    url: async () => '',
    raw: async (statement) => void db.exec(statement),
    other: () => ({ events: new SqliteEventStore(db), rollups: new SqliteRollupStore(db, { now }) }),
    close: async () => db.close(),
  }
}
const postgres = async (): Promise<Opened> => {
  const url = await createDatabase(pg, `contract_rollups_${++databases}`)
  const pools: SQL[] = [connectPostgres(url, { max: 4 })]
  await migratePostgres(pools[0]!)
  return {
    events: new PostgresEventStore(pools[0]!),
    rollups: new PostgresRollupStore(pools[0]!, { now }),
    table: async (name) => ((await pools[0]!.unsafe(`SELECT * FROM ${name}`)) as Record<string, unknown>[]).map(numbers).sort(byKey),
    url: async () => url,
    raw: async (statement) => void (await pools[0]!.unsafe(statement)),
    other: () => {
      const sql = connectPostgres(url, { max: 2 })
      pools.push(sql)
      return { events: new PostgresEventStore(sql), rollups: new PostgresRollupStore(sql, { now }) }
    },
    close: async () => void (await Promise.all(pools.map((p) => p.close()))),
  }
}

// ---- the events: six days up to now, two orgs, names that sort differently by bytes and by locale ----

let seed = 11
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
function pick<T>(values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!
}
const FIRST = DAY - 5 * DAY_MS

function makeEvents(): LectrEvent[] {
  const out: LectrEvent[] = []
  const add = (org: string, n: number, over: (i: number) => Partial<LectrEvent>) => {
    for (let i = 0; i < n; i++) {
      const time = new Date(FIRST + Math.floor(random() * (NOW - FIRST))).toISOString()
      const status = pick([200, 200, 200, 200, 429, 500])
      const inputTokens = pick([null, 10, 1234, 40_000, 123_456])
      out.push(
        event({
          time, org, status,
          provider: pick(['openai', 'openai', 'anthropic', 'groq'] as const),
          model: pick(['gpt-4o', 'gpt-4o', 'gpt-4o-mini', 'B-model', 'a-model', null, 'Zeta', 'élan']),
          responseModel: null,
          feature: pick([null, null, 'chat', 'Search', 'search', 'é-feature', 'x'.repeat(300)]),
          task: pick([null, 'classification', 'generation'] as const),
          costUsd: status === 200 ? pick([null, 0.1, 0.2, 0.3, 1e-7, 0.000075, 0.0012345678, 0.0123456789]) : null,
          inputTokens: status === 200 ? inputTokens : null,
          outputTokens: status === 200 && inputTokens !== null ? pick([5, 700]) : null,
          cachedInputTokens: pick([null, 0, 3]),
          cacheWriteTokens: pick([null, 0, 11]),
          cacheWrite1hTokens: pick([null, 0, 2]),
          reasoningTokens: pick([null, 0, 9]),
          latencyMs: pick([0.5, 120.5, 3000, 45_000.25, 0.1, 0.7]),
          stream: random() < 0.3,
          endpoint: pick(['chat/completions', 'messages', 'responses'] as const),
          ...over(i),
        }),
      )
    }
  }
  add('default', 1500, () => ({}))
  add('default', 60, (i) => ({
    routedProvider: 'groq', routedModel: i % 2 ? 'lab-model' : 'llama-routed', ruleId: 'r1', arm: 'canary', baselineCostUsd: 0.5,
    costUsd: i % 3 ? null : 0.00042, inputTokens: 100, outputTokens: 20,
  }))
  add('default', 30, () => ({ provider: 'groq', model: 'lab-model', costUsd: null, inputTokens: 500, outputTokens: 50 }))
  add('acme', 300, () => ({ provider: 'gemini', model: pick(['gemini-pro', 'Zeta', 'zeta']) }))
  return out
}
const EVENTS = makeEvents()

// ---- what is asked: windows with edges inside days, whole days, today ----

const WINDOWS: [number, number][] = [
  [FIRST + 3 * HOUR_MS, DAY], // partial first day, whole days, up to today
  [DAY - 4 * DAY_MS + HOUR_MS, DAY - 3 * DAY_MS + 20 * HOUR_MS], // most of a day (whole day less hours outside)
  [DAY - 2 * DAY_MS, NOW - (NOW % HOUR_MS) + HOUR_MS], // whole days and today so far
  [FIRST - DAY_MS, DAY + DAY_MS], // everything, and empty days either side
  [DAY + 2 * HOUR_MS, DAY + 5 * HOUR_MS], // hours of today
  [DAY - DAY_MS + 5 * HOUR_MS, DAY - DAY_MS + 23 * HOUR_MS], // most of yesterday
  [DAY - 3 * DAY_MS + 20 * HOUR_MS, DAY - 2 * DAY_MS + 2 * HOUR_MS], // two small ends of days
  [DAY + HOUR_MS, DAY + 23 * HOUR_MS], // most of today (not finished)
]
const PARTS: SpanParts[] = ['all', 'groups', 'hours']

/** A span as JSON, its maps as entry lists in their order; only the parts asked for (SQLite may add the others from its cache). */
function spanJson(s: Span, parts: SpanParts): string {
  return JSON.stringify({
    from: s.from, to: s.to,
    hours: parts === 'groups' ? null : [...s.hours],
    latency: parts === 'groups' ? null : [...s.latency].map(([h, b]) => [h, [...b]]),
    groups: parts === 'hours' ? null : [...s.groups],
  })
}

const FILTERS: RollupFilter[] = [
  {}, { model: 'gpt-4o' }, { status: 'error' }, { feature: 'chat', status: 'ok' }, { provider: 'groq' }, { model: 'nothing-like-it' },
  { provider: 'anthropic', model: 'Zeta', task: 'generation' }, { feature: 'x'.repeat(300) },
]

/** Every read the store answers, as one JSON document per question. */
async function answers(r: RollupStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const org of ['default', 'acme', 'nobody']) {
    for (const [from, to] of WINDOWS) {
      for (const parts of PARTS) out[`span ${org} ${from}-${to} ${parts}`] = spanJson(await r.span(org, from, to, parts), parts)
      out[`usage ${org} ${from}-${to}`] = JSON.stringify(await r.usageGroups(org, from + 17 * 60_000, to - 1))
      out[`known ${org} ${from}-${to}`] = JSON.stringify([await r.knownValues(org, from, to, 3), await r.knownValues(org, from, to, 100)])
    }
    for (const provider of [null, 'openai', 'gemini']) {
      for (const [since, until] of [[null, null], [FIRST + 90 * 60_000, null], [null, DAY - DAY_MS + 7 * HOUR_MS], ...WINDOWS] as [number | null, number | null][]) {
        out[`models ${org} ${provider} ${since}-${until}`] = JSON.stringify(await r.modelDistribution(org, { provider, since, until }))
      }
    }
    for (let day = FIRST - DAY_MS; day < DAY; day += DAY_MS) {
      out[`day ${org} ${day}`] = JSON.stringify(await Promise.all(FILTERS.map((f) => r.dayMayMatch(org, f, day))))
    }
    for (const [from, to] of [[FIRST, DAY], [DAY - 3 * DAY_MS, DAY - DAY_MS], [DAY, DAY + DAY_MS]]) {
      for (const raw of [false, true]) out[`replay ${org} ${from}-${to} ${raw}`] = JSON.stringify(await r.replayRows(org, from!, to!, raw))
    }
  }
  return out
}

const TABLES = ['rollups_hourly', 'rollups_daily', 'model_rollups_hourly', 'model_rollups_daily', 'latency_hourly', 'replay_rollups_daily']

const REGISTRY = withOverrides(builtinRegistry(), [
  { provider: 'groq', model: 'lab-model', price: { input: 2.5, output: 7.3 }, createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z' },
])

describe('roll-up store contract (SQLite and Postgres)', () => {
  let a: Opened
  let b: Opened
  beforeAll(async () => {
    ;[a, b] = await Promise.all([sqlite(), postgres()])
    for (let i = 0; i < EVENTS.length; i += 250) {
      const batch = EVENTS.slice(i, i + 250)
      expect(await a.events.append(batch)).toBe(batch.length)
      expect(await b.events.append(batch)).toBe(batch.length)
    }
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
  })

  /** Each answer of Postgres equals SQLite's, compared one by one so a failure names the question. */
  async function same(): Promise<number> {
    const [x, y] = [await answers(a.rollups), await answers(b.rollups)]
    expect(Object.keys(y)).toEqual(Object.keys(x))
    let nonEmpty = 0
    for (const key of Object.keys(x)) {
      expect(`${key}: ${y[key]}`).toBe(`${key}: ${x[key]}`)
      if (!/^(\[\]|\[\[\],\[\]\]|\{[^[]*\[\],[^[]*\[\],"groups":\[\]\})$/.test(x[key]!)) nonEmpty++
    }
    return nonEmpty
  }

  test('the same roll-ups in both, table by table', async () => {
    for (const t of TABLES) expect(await b.table(t)).toEqual(await a.table(t))
  })

  test('every read gives the same JSON, over every window', async () => {
    // the questions are not trivially answered: most have something in them
    expect(await same()).toBeGreaterThan(150)
  })

  test('re-pricing gives the same result, the same roll-ups afterwards, and the same answers', async () => {
    const window: [number, number] = [FIRST + 2 * HOUR_MS, NOW]
    const [x, y] = [await a.rollups.reprice('default', ...window, REGISTRY), await b.rollups.reprice('default', ...window, REGISTRY)]
    expect(x.repriced).toBeGreaterThan(50)
    expect(x.stillUnpriced).toBeGreaterThan(0)
    expect(x.withoutTokenCounts).toBeGreaterThan(0)
    expect(JSON.stringify(y)).toBe(JSON.stringify(x))
    for (const t of TABLES) expect(await b.table(t)).toEqual(await a.table(t))
    await same()
    // twice changes nothing the second time
    const again = await b.rollups.reprice('default', ...window, REGISTRY)
    expect(again).toEqual({ repriced: 0, costUsd: 0, stillUnpriced: x.stillUnpriced, withoutTokenCounts: x.withoutTokenCounts })
    expect(await a.rollups.reprice('default', ...window, REGISTRY)).toEqual(again)
  })

  test("Postgres's version moves when another instance writes, and its reads see that write", async () => {
    const other = b.other()
    const before = await b.rollups.version()
    const before2 = await other.rollups.version()
    const late = event({ time: new Date(DAY - DAY_MS + 3 * HOUR_MS).toISOString(), org: 'acme', model: 'late-model', provider: 'gemini' })
    expect(await other.events.append([late])).toBe(1)
    expect(await b.rollups.version()).not.toBe(before)
    expect(await other.rollups.version()).not.toBe(before2)
    expect(await a.events.append([late])).toBe(1)
    await same()
  })
})

describe('a hand-edited database (SQLite and Postgres)', () => {
  let a: Opened
  let b: Opened
  const day = DAY - 2 * DAY_MS
  beforeAll(async () => {
    ;[a, b] = await Promise.all([sqlite(), postgres()])
    const lab = EVENTS.filter((e) => e.model === 'lab-model' || e.routedModel === 'lab-model')
    const batch = [...EVENTS.filter((e) => e.org === 'default').slice(0, 400), ...lab]
    expect(await a.events.append(batch)).toBe(batch.length)
    expect(await b.events.append(batch)).toBe(batch.length)
    for (const o of [a, b]) {
      // hourly rows written by a script, not in rollups_daily: the day's groups come from the hourly rows
      await o.raw(`INSERT INTO rollups_hourly (org_id, hour, provider, model, feature, task, requests, errors, input_tokens, cached_input_tokens,
        output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum, cache_write_tokens, cache_write_1h_tokens)
        VALUES ('default', ${day + 5 * HOUR_MS}, 'openai', 'scripted', '', '', 3, 1, 30, 0, 15, 0, 0.3, 0, 360.5, 0, 0)`)
      // and roll-up rows gone (only these, not their daily sums): re-pricing changes the rows that are there
      await o.raw(`DELETE FROM rollups_hourly WHERE org_id = 'default' AND hour < ${day} AND model = 'lab-model'`)
      await o.raw(`DELETE FROM model_rollups_daily WHERE org_id = 'default' AND day >= ${day} AND model = 'lab-model'`)
      await o.raw(`DELETE FROM replay_rollups_daily WHERE org_id = 'default' AND day = ${day} AND model = 'lab-model'`)
    }
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
  })

  test('reads and re-pricing give the same answers and leave the same tables', async () => {
    const [x, y] = [await answers(a.rollups), await answers(b.rollups)]
    for (const key of Object.keys(x)) expect(`${key}: ${y[key]}`).toBe(`${key}: ${x[key]}`)
    expect(x[`span default ${WINDOWS[2]!.join('-')} groups`]).toContain('scripted')
    const [r, q] = [await a.rollups.reprice('default', FIRST, NOW, REGISTRY), await b.rollups.reprice('default', FIRST, NOW, REGISTRY)]
    expect(r.repriced).toBeGreaterThan(10)
    expect(JSON.stringify(q)).toBe(JSON.stringify(r))
    for (const t of TABLES) expect(await b.table(t)).toEqual(await a.table(t))
    const [x2, y2] = [await answers(a.rollups), await answers(b.rollups)]
    for (const key of Object.keys(x2)) expect(`${key}: ${y2[key]}`).toBe(`${key}: ${x2[key]}`)
  })
})

describe('Postgres: re-pricing while other instances write the same roll-up rows', () => {
  let b: Opened
  beforeAll(async () => {
    b = await postgres()
  })
  afterAll(async () => {
    await b?.close()
  })

  test('neither deadlocks nor loses a count: every roll-up row counts its events', async () => {
    const writers = [b.other(), b.other()]
    const unpriced = EVENTS.filter((e) => e.org === 'default' && e.costUsd === null && e.inputTokens !== null && e.outputTokens !== null)
    expect(await b.events.append(unpriced.slice(0, 200))).toBe(200)
    for (let round = 0; round < 4; round++) {
      // more unpriced events of the same hours and groups, written by two instances while a third re-prices
      const more = unpriced.slice(200 + round * 40, 240 + round * 40).map((e, i) => {
        const time = Date.parse(e.time) + i + 1
        return { ...e, id: Bun.randomUUIDv7('hex', time), time: new Date(time).toISOString() }
      })
      const [result] = await Promise.all([
        b.rollups.reprice('default', FIRST, NOW, REGISTRY),
        writers[0]!.events.append(more.slice(0, 20)),
        writers[1]!.events.append(more.slice(20)),
      ])
      expect(result.repriced + result.stillUnpriced).toBeGreaterThan(0)
    }
    const sql = connectPostgres(await b.url(), { max: 1 })
    try {
      const [events] = await sql`SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced FROM events`
      for (const t of ['rollups_hourly', 'rollups_daily', 'model_rollups_hourly', 'model_rollups_daily', 'replay_rollups_daily']) {
        const [sums] = await sql.unsafe(`SELECT SUM(requests)::int AS n, SUM(unpriced_requests)::int AS unpriced FROM ${t}`)
        expect({ table: t, ...sums }).toEqual({ table: t, ...events })
      }
    } finally {
      await sql.close()
    }
  })
})

describe('Postgres: kept days across instances (two PostgresRollupStore on one database)', () => {
  let a: Opened
  let b: Opened
  let y: { events: EventStore; rollups: RollupStore }
  const kept = (r: RollupStore) => (r as PostgresRollupStore).days.keptDays('default')
  const sameAs = async (x: RollupStore, z: RollupStore) => {
    const [p, q] = [await answers(x), await answers(z)]
    for (const key of Object.keys(p)) expect(`${key}: ${q[key]}`).toBe(`${key}: ${p[key]}`)
  }
  beforeAll(async () => {
    ;[a, b] = await Promise.all([sqlite(), postgres()])
    expect(await a.events.append(EVENTS)).toBe(EVENTS.length)
    expect(await b.events.append(EVENTS)).toBe(EVENTS.length)
    // the second instance: its own pool and its own kept days, filled by reading everything once
    y = b.other()
    await sameAs(a.rollups, y.rollups)
    expect(kept(y.rollups)).toBeGreaterThanOrEqual(5)
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
  })

  test('its kept days are what it answers from: a hand edit without a mark is not seen until the epoch moves', async () => {
    const day = DAY - 2 * DAY_MS
    const key = `span default ${day}-${day + DAY_MS} groups`
    const read = async (r: RollupStore) => spanJson(await r.span('default', day, day + DAY_MS, 'groups'), 'groups')
    const before = await read(y.rollups)
    // a roll-up row of a kept day changed behind the store's back: no mark, so the instance answers from its copy
    const edit = (by: string) => b.raw(`UPDATE rollups_daily SET output_tokens = output_tokens ${by} WHERE org_id = 'default' AND day = ${day}`)
    const bump = async () => {
      const sql = connectPostgres(await b.url(), { max: 1 })
      await sql.begin((tx) => bumpRollupEpoch(tx))
      await sql.close()
    }
    await edit('+ 1000')
    expect(`${key}: ${await read(y.rollups)}`).toBe(`${key}: ${before}`)
    await bump()
    expect(await read(y.rollups)).not.toBe(before)
    // undone, and every instance told again
    await edit('- 1000')
    await bump()
    expect(await read(y.rollups)).toBe(before)
  })

  test("one instance's re-pricing is seen by the other's kept days", async () => {
    const before = await answers(y.rollups)
    const window: [number, number] = [FIRST + 2 * HOUR_MS, NOW]
    const [x, z] = [await a.rollups.reprice('default', ...window, REGISTRY), await b.rollups.reprice('default', ...window, REGISTRY)]
    expect(x.repriced).toBeGreaterThan(50)
    expect(JSON.stringify(z)).toBe(JSON.stringify(x))
    expect(kept(y.rollups)).toBeGreaterThanOrEqual(5)
    await sameAs(a.rollups, y.rollups)
    // the kept days did change: the groups of windows of finished days cost more now
    const after = await answers(y.rollups)
    expect(Object.keys(after).filter((k) => k.startsWith('usage default') && after[k] !== before[k]).length).toBeGreaterThan(3)
  })

  test("one instance's late events (a finished day) and retention are seen by the other's kept days", async () => {
    const late = [2, 3, 4].map((d) => event({ time: new Date(DAY - d * DAY_MS + 7 * HOUR_MS + d).toISOString(), org: 'default', model: 'late-model', provider: 'groq', costUsd: 0.25 }))
    expect(await a.events.append(late)).toBe(3)
    expect(await b.events.append(late)).toBe(3)
    await sameAs(a.rollups, y.rollups)
    expect(JSON.stringify(await y.rollups.usageGroups('default', FIRST, NOW))).toContain('late-model')
    const cutoff = DAY - 3 * DAY_MS + 5 * HOUR_MS
    expect(await b.events.prune(cutoff)).toBe(await a.events.prune(cutoff))
    await sameAs(a.rollups, y.rollups)
  })

  test('version() moves with a batch of today and with re-pricing, not with writes that touch no roll-up', async () => {
    const v0 = await y.rollups.version()
    await b.raw(`INSERT INTO sessions (id_hash, csrf, created_at, expires_at) VALUES ('unrelated', 'c', 1, 2)`)
    await b.raw(`UPDATE meta SET value = value WHERE key = 'rollups.epoch'`)
    expect(await y.rollups.version()).toBe(v0)
    expect(await b.rollups.version()).toBe(v0)
    expect(await b.events.append([event({ time: new Date(NOW - 60_000).toISOString(), org: 'acme' })])).toBe(1)
    const v1 = await y.rollups.version()
    expect(v1).not.toBe(v0)
    const lab = EVENTS.find((e) => e.model === 'lab-model' && e.costUsd === null)!
    expect(await b.events.append([{ ...lab, id: Bun.randomUUIDv7('hex', Date.parse(lab.time) + 1), costUsd: null }])).toBe(1)
    const v2 = await y.rollups.version()
    expect(v2).not.toBe(v1)
    expect((await b.rollups.reprice('default', FIRST, NOW, REGISTRY)).repriced).toBe(1)
    expect(await y.rollups.version()).not.toBe(v2)
  })
})
