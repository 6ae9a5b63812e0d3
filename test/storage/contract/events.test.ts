/**
 * The event store's contract, run against SQLite and Postgres (one throwaway cluster for this file): the same events
 * appended to both give the same answers, byte for byte as JSON, for every list, browse, get, export, unpriced-models
 * and prune case; append counts only new events and rolls each up once; the roll-up tables equal the sums over the
 * raw events. One documented difference: Postgres text cannot hold U+0000, so it stores (and answers) U+FFFD.
 * Then the event writer over the Postgres store with the server halted mid-way: nothing lost, doubled or reordered.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import type { SQL } from 'bun'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate } from '../../../src/db/open'
import { DAY_MS, HOUR_MS, type LectrEvent } from '../../../src/domain'
import { latencyBucket } from '../../../src/rollups/latency-buckets'
import { inputClassOf } from '../../../src/rollups/replay-rollup'
import type { EventSink } from '../../../src/events/sink'
import { EventWriter } from '../../../src/events/writer'
import { ALL_EVENTS, type BrowseOptions, type EventFilter, type EventPage, type EventStore } from '../../../src/storage/events'
import { connectPostgres } from '../../../src/storage/postgres/connect'
import { PostgresEventStore } from '../../../src/storage/postgres/events'
import { migratePostgres } from '../../../src/storage/postgres/migrations'
import { SqliteEventStore } from '../../../src/storage/sqlite/events'
import { eventually } from '../../helpers/lectr'
import { createDatabase, startPostgres, type Postgres } from '../../helpers/postgres'
import { event } from '../../helpers/event'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})

/** A store under test and what the test reads around it. */
interface Opened {
  store: EventStore
  /** every row of a roll-up table, numbers as numbers */
  table(name: string): Promise<Record<string, string | number>[]>
  close(): Promise<void>
}

const TEXT_COLUMNS = new Set(['org_id', 'provider', 'model', 'feature', 'task', 'endpoint'])
function numbers(row: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(row)) out[k] = TEXT_COLUMNS.has(k) ? (v as string) : Number(v)
  return out
}

let databases = 0
const STORES: { name: string; open(): Promise<Opened> }[] = [
  {
    name: 'sqlite',
    async open() {
      const db = new Database(':memory:', { strict: true })
      migrate(db)
      return {
        store: new SqliteEventStore(db),
        table: async (name) => (db.query(`SELECT * FROM ${name}`).all() as Record<string, unknown>[]).map(numbers),
        close: async () => db.close(),
      }
    },
  },
  {
    name: 'postgres',
    async open() {
      const sql: SQL = connectPostgres(await createDatabase(pg, `contract_events_${++databases}`), { max: 4 })
      await migratePostgres(sql)
      return {
        store: new PostgresEventStore(sql),
        table: async (name) => ((await sql.unsafe(`SELECT * FROM ${name}`)) as Record<string, unknown>[]).map(numbers),
        close: () => sql.close(),
      }
    },
  },
]

/**
 * A SQLite answer as Postgres gives it. Postgres text cannot hold U+0000: it stores U+FFFD. And SQLite reads a
 * client's string cut for showing (`substr`), which stops at U+0000: its answer for the model `bad<U+0000>model` is
 * `bad`, Postgres's `bad<U+FFFD>model`.
 */
function asPostgresStores<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"bad"', '"bad\\u0000model"').replaceAll('\\u0000', '\uFFFD'))
}

// ---- the events: several days, orgs, providers, models, features, tasks, statuses, nulls, long strings ----

const T0 = Date.UTC(2026, 10, 20)
const NOW = T0 + 6 * DAY_MS
let seed = 7
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
function pick<T>(values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!
}
const LONG_MODEL = `long-${'m'.repeat(400)}`
const NUL_MODEL = 'bad\u0000model'

function makeEvents(): LectrEvent[] {
  const out: LectrEvent[] = []
  const add = (org: string, n: number, spanMs: number, over: (i: number) => Partial<LectrEvent>) => {
    for (let i = 0; i < n; i++) {
      const time = new Date(T0 + Math.floor(random() * spanMs)).toISOString()
      out.push(
        event({
          time, org,
          provider: pick(['openai', 'openai', 'anthropic', 'groq'] as const),
          model: pick(['gpt-4o', 'gpt-4o', 'gpt-4o-mini', 'claude-sonnet', null, 'Zeta', 'alpha']),
          feature: pick([null, null, 'chat', 'search', 'x'.repeat(300)]),
          task: pick([null, 'classification', 'generation'] as const),
          status: pick([200, 200, 200, 200, 429, 500]),
          costUsd: pick([null, 0.001, 0.25, 1e-7]),
          inputTokens: pick([null, 10, 40_000, 123_456]),
          outputTokens: pick([null, 5, 700]),
          cachedInputTokens: pick([null, 0, 3]),
          cacheWriteTokens: pick([null, 0, 11]),
          reasoningTokens: pick([null, 0, 9]),
          latencyMs: pick([0.5, 120.5, 3000, 45_000.25]),
          ttfbMs: pick([null, 80.25]),
          stream: random() < 0.3,
          endpoint: pick(['chat/completions', 'messages', 'responses'] as const),
          ...over(i),
        }),
      )
    }
  }
  add('default', 3600, 4 * DAY_MS, () => ({}))
  // rare matches spread over the days: the filtered browse must go far back, skipping hours
  add('default', 6, 4 * DAY_MS, () => ({ model: 'rare-model', feature: 'nightly', costUsd: null }))
  add('default', 3, 4 * DAY_MS, () => ({ model: NUL_MODEL, costUsd: null }))
  add('default', 2, 4 * DAY_MS, () => ({ model: LONG_MODEL, costUsd: null }))
  add('default', 40, 4 * DAY_MS, (i) => ({ routedProvider: 'groq', routedModel: `routed-${i % 3}`, ruleId: 'r1', arm: 'canary', baselineCostUsd: 0.5 }))
  add('acme', 300, 3 * DAY_MS, () => ({ provider: 'gemini', model: pick(['gemini-pro', 'Zeta']) }))
  // Ids that are not UUIDv7 (as a hand-made import could have): read the same way, without skipping hours.
  add('legacy', 30, 2 * DAY_MS, (i) => ({ id: `evt-${String(i).padStart(4, '0')}`, model: i % 5 ? 'old' : 'rare-model' }))
  return out
}

const EVENTS = makeEvents()
/** appended in batches of this size, in a shuffled order, to both stores */
const BATCH = 500

async function appendAll(store: EventStore, events: readonly LectrEvent[]): Promise<number> {
  let n = 0
  for (let i = 0; i < events.length; i += BATCH) n += await store.append(events.slice(i, i + BATCH))
  return n
}

// ---- expected roll-ups, summed here from the raw events (not with the writer's functions) ----

type Sums = Record<string, number>
function groupSum(events: readonly LectrEvent[], key: (e: LectrEvent) => (string | number)[], sums: (e: LectrEvent) => Sums): Map<string, Sums> {
  const out = new Map<string, Sums>()
  for (const e of events) {
    const k = JSON.stringify(key(e))
    const s = sums(e)
    const acc = out.get(k)
    if (!acc) out.set(k, { ...s })
    else for (const [c, v] of Object.entries(s)) acc[c]! += v
  }
  return out
}
const hourOfEvent = (e: LectrEvent) => Date.parse(e.time) - (Date.parse(e.time) % HOUR_MS)
const dayOfEvent = (e: LectrEvent) => Date.parse(e.time) - (Date.parse(e.time) % DAY_MS)
const servedProvider = (e: LectrEvent) => (e.routedModel ? e.routedProvider ?? e.provider : e.provider)
const servedModel = (e: LectrEvent) => (e.routedModel ? e.routedModel : e.model ?? '')
const rollupSums = (e: LectrEvent): Sums => ({
  requests: 1, errors: e.status >= 400 ? 1 : 0, input_tokens: e.inputTokens ?? 0, cached_input_tokens: e.cachedInputTokens ?? 0,
  output_tokens: e.outputTokens ?? 0, reasoning_tokens: e.reasoningTokens ?? 0, cost_usd: e.costUsd ?? 0,
  unpriced_requests: e.costUsd === null ? 1 : 0, latency_ms_sum: e.latencyMs, cache_write_tokens: e.cacheWriteTokens ?? 0,
  cache_write_1h_tokens: e.cacheWrite1hTokens ?? 0,
})
const modelSums = (e: LectrEvent): Sums => {
  const { reasoning_tokens: _, ...rest } = rollupSums(e)
  return rest
}
const priced = (e: LectrEvent, v: number | null | undefined) => (e.costUsd === null ? 0 : v ?? 0)
const EXPECTED: Record<string, { key: string[]; of(events: readonly LectrEvent[]): Map<string, Sums> }> = {
  rollups_hourly: {
    key: ['org_id', 'hour', 'provider', 'model', 'feature', 'task'],
    of: (ev) => groupSum(ev, (e) => [e.org, hourOfEvent(e), servedProvider(e), servedModel(e), e.feature ?? '', e.task ?? ''], rollupSums),
  },
  rollups_daily: {
    key: ['org_id', 'day', 'provider', 'model', 'feature', 'task'],
    of: (ev) => groupSum(ev, (e) => [e.org, dayOfEvent(e), servedProvider(e), servedModel(e), e.feature ?? '', e.task ?? ''], rollupSums),
  },
  model_rollups_hourly: {
    key: ['org_id', 'hour', 'provider', 'model'],
    of: (ev) => groupSum(ev, (e) => [e.org, hourOfEvent(e), servedProvider(e), servedModel(e)], modelSums),
  },
  model_rollups_daily: {
    key: ['org_id', 'day', 'provider', 'model'],
    of: (ev) => groupSum(ev, (e) => [e.org, dayOfEvent(e), servedProvider(e), servedModel(e)], modelSums),
  },
  latency_hourly: {
    key: ['org_id', 'hour', 'provider', 'bucket'],
    of: (ev) => groupSum(ev, (e) => [e.org, hourOfEvent(e), servedProvider(e), latencyBucket(e.latencyMs)], () => ({ requests: 1 })),
  },
  replay_rollups_daily: {
    key: ['org_id', 'day', 'provider', 'model', 'feature', 'task', 'endpoint', 'stream', 'input_class'],
    of: (ev) =>
      groupSum(
        ev,
        (e) => [e.org, dayOfEvent(e), e.provider, e.model ?? '', e.feature ?? '', e.task ?? '', e.endpoint, e.stream ? 1 : 0, inputClassOf(e.inputTokens)],
        (e) => ({
          requests: 1, unpriced_requests: e.costUsd === null ? 1 : 0, input_tokens: priced(e, e.inputTokens),
          cached_input_tokens: priced(e, e.cachedInputTokens), cache_write_tokens: priced(e, e.cacheWriteTokens),
          cache_write_1h_tokens: priced(e, e.cacheWrite1hTokens), output_tokens: priced(e, e.outputTokens), cost_usd: e.costUsd ?? 0,
        }),
      ),
  },
}

/** The table's rows as key → sums; fails the test on a row whose sums differ from `expected` beyond rounding. */
function expectTableEquals(name: string, rows: Record<string, string | number>[], expected: Map<string, Sums>): void {
  const key = EXPECTED[name]!.key
  const got = new Map(rows.map((r) => [JSON.stringify(key.map((k) => r[k])), r]))
  expect({ table: name, keys: [...got.keys()].sort() }).toEqual({ table: name, keys: [...expected.keys()].sort() })
  for (const [k, sums] of expected) {
    const row = got.get(k)!
    for (const [c, v] of Object.entries(sums)) {
      if (c === 'cost_usd' || c === 'latency_ms_sum') expect(Math.abs((row[c] as number) - v)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v)))
      else expect({ table: name, key: k, column: c, value: row[c] }).toEqual({ table: name, key: k, column: c, value: v })
    }
  }
}

// ---- every case on both stores ----

const opened: Record<string, Opened> = {}
beforeAll(async () => {
  for (const s of STORES) {
    opened[s.name] = await s.open()
    // shuffled, so batches do not arrive in id order (the writer's do, mostly; reads must not depend on it)
    expect(await appendAll(opened[s.name]!.store, [...EVENTS].sort(() => random() - 0.5))).toBe(EVENTS.length)
  }
}, 120_000)
afterAll(async () => {
  for (const o of Object.values(opened)) await o.close()
})

/** Runs `read` on both stores; the answers must be equal as JSON (U+0000 as U+FFFD on Postgres). Returns SQLite's. */
async function same<T>(read: (store: EventStore) => Promise<T>): Promise<T> {
  const sqlite = await read(opened.sqlite!.store)
  const postgres = await read(opened.postgres!.store)
  expect(JSON.stringify(postgres)).toBe(JSON.stringify(asPostgresStores(sqlite)))
  return sqlite
}

const F = (over: Partial<EventFilter>): EventFilter => ({ ...ALL_EVENTS, ...over })
const FILTERS: [string, EventFilter][] = [
  ['no filter', ALL_EVENTS],
  ['provider', F({ provider: 'anthropic' })],
  ['model', F({ model: 'gpt-4o-mini' })],
  ['a rare model', F({ model: 'rare-model' })],
  ['the model with U+0000', F({ model: NUL_MODEL })],
  ['feature and task', F({ feature: 'chat', task: 'generation' })],
  ['one status', F({ status: 429 })],
  ['errors', F({ statusClass: 'error' })],
  ['ok and an error status (nothing)', F({ statusClass: 'ok', status: 500 })],
  ['a time window', F({ since: T0 + DAY_MS + 5 * HOUR_MS, until: T0 + 2 * DAY_MS + 7 * HOUR_MS })],
  ['a rare feature in a window', F({ feature: 'nightly', since: T0 + DAY_MS })],
  ['nothing matches', F({ model: 'no-such-model' })],
]
const ORGS = ['default', 'acme', 'legacy', 'nobody']

describe('append (both stores)', () => {
  for (const s of STORES) {
    test(`${s.name}: counts only new events; a replayed id is not counted and not rolled up twice`, async () => {
      const o = await s.open()
      try {
        const events = EVENTS.slice(0, 1200)
        expect(await appendAll(o.store, events)).toBe(1200)
        expect(await o.store.append(events.slice(100, 300))).toBe(0)
        const fresh = EVENTS.slice(1200, 1250)
        expect(await o.store.append([...events.slice(0, 10), ...fresh, fresh[0]!])).toBe(50)
        expect(await o.store.append([])).toBe(0)
        const stored = [...events, ...fresh]
        for (const [name, t] of Object.entries(EXPECTED)) {
          if (name === 'rollups_daily' && s.name === 'sqlite') continue // SQLite gets it with its migration 7 (rollups branch)
          expectTableEquals(name, await o.table(name), t.of(asPostgresStores(stored)))
        }
      } finally {
        await o.close()
      }
    }, 60_000)
  }

  test('the roll-up tables of both stores equal the sums over the raw events (every table each store has)', async () => {
    const stored = asPostgresStores(EVENTS)
    for (const [name, t] of Object.entries(EXPECTED)) {
      expectTableEquals(name, await opened.postgres!.table(name), t.of(stored))
      if (name !== 'rollups_daily') expectTableEquals(name, asPostgresStores(await opened.sqlite!.table(name)), t.of(stored))
    }
  })

  test('U+0000 in a model: SQLite answers the model cut there, Postgres with U+FFFD for it (text cannot hold U+0000)', async () => {
    const e = EVENTS.find((x) => x.model === NUL_MODEL)!
    // SQLite stores it whole but reads it cut at U+0000 (substr stops there)
    expect((await opened.sqlite!.store.get(e.org, e.id))?.model).toBe('bad')
    expect((await opened.postgres!.store.get(e.org, e.id))?.model).toBe('bad\uFFFDmodel')
    await same((st) => st.get(e.org, e.id))
  })
})

describe('list, get, browse, export, unpriced models: equal answers on both stores', () => {
  for (const [name, f] of FILTERS) {
    test(`list, ${name}: every page and cursor`, async () => {
      for (const org of ORGS) {
        let cursor: string | null = null
        let pages = 0
        do {
          const page: EventPage = await same((st) => st.list(org, f, { limit: 400, cursor }))
          cursor = page.next
          pages++
        } while (cursor)
        expect(pages).toBeGreaterThan(0)
      }
    }, 60_000)

    test(`browse, ${name}: every page and cursor, with the default and small scan budgets, and a day ruled out`, async () => {
      const variants: BrowseOptions[] = [
        { now: NOW, limit: 50 },
        { now: NOW, limit: 20, scanBudget: 2100 },
        { now: NOW, limit: 10, scanBudget: 2500, dayMayMatch: (day) => day !== T0 + DAY_MS },
      ]
      let total = 0
      for (const opts of variants) {
        for (const org of ORGS) {
          let cursor: string | null = null
          let pages = 0
          do {
            const page: EventPage = await same((st) => st.browse(org, f, cursor, opts))
            total += page.events.length
            cursor = page.next
          } while (cursor && ++pages < 1000)
          expect(cursor).toBeNull()
        }
      }
      if (name !== 'nothing matches' && !name.startsWith('ok and')) expect(total).toBeGreaterThan(0)
    }, 120_000)

    test(`export, ${name}: the same pages (empty ones too)`, async () => {
      for (const org of ORGS) {
        await same(async (st) => {
          const pages: LectrEvent[][] = []
          for await (const page of st.exportPages(org, f)) pages.push(page)
          return pages
        })
      }
    }, 60_000)
  }

  test('a browse cursor taken from one store continues the same on the other', async () => {
    const f = F({ model: 'rare-model' })
    const opts = { now: NOW, limit: 2, scanBudget: 2100 }
    const first = await opened.sqlite!.store.browse('default', f, null, opts)
    expect(first.next).not.toBeNull()
    await same((st) => st.browse('default', f, first.next, opts))
  })

  test('get: an event, a missing id, an id of another org', async () => {
    for (const e of EVENTS.filter((_, i) => i % 97 === 0)) await same((st) => st.get(e.org, e.id))
    expect(await same((st) => st.get('default', '0190f3a2-0000-7000-8000-000000000000'))).toBeNull()
    const acme = EVENTS.find((e) => e.org === 'acme')!
    expect(await same((st) => st.get('default', acme.id))).toBeNull()
  })

  test('an export ended early stops reading; one read again starts over', async () => {
    for (const name of ['sqlite', 'postgres']) {
      const pages = opened[name]!.store.exportPages('default', ALL_EVENTS)
      const first = await pages.next()
      expect(first.done).toBe(false)
      expect(await pages.return!()).toEqual({ done: true, value: undefined })
      expect((await pages.next()).done).toBe(true)
    }
  })

  test('unpriced models: windows and limits', async () => {
    for (const since of [0, T0 + DAY_MS + 3, T0 + 3 * DAY_MS, NOW]) {
      for (const limit of [undefined, 1, 3]) await same((st) => st.unpricedModels(since, limit))
    }
    const all = await same((st) => st.unpricedModels(0))
    expect(all.some((m) => m.model === 'rare-model')).toBe(true)
    // a name cut for showing is left out on both
    expect(all.some((m) => m.model.startsWith('long-'))).toBe(false)
  })

  test('routing arms: windows, the same sums and rounding', async () => {
    for (const [since, until] of [[null, null], [T0, null], [T0 + 4 * DAY_MS, T0 + 5 * DAY_MS], [NOW, null]] as const) {
      await same((st) => st.arms('default', since, until))
    }
    const all = await same((st) => st.arms('default', null, null))
    expect(all.find((a) => a.ruleId === 'r1' && a.arm === 'canary')?.requests).toBe(40)
  })
})

describe('prune (both stores)', () => {
  test('the same events removed and the same left, whole days and the day of the cutoff; again removes nothing', async () => {
    const stores = await Promise.all(STORES.map((s) => s.open()))
    try {
      const [sqlite, postgres] = stores.map((o) => o.store) as [EventStore, EventStore]
      // Lectr's own ids only: SQLite prunes by id (UUIDv7: its time), Postgres drops whole days by time, so an id
      // that is not a UUIDv7 (the 'legacy' org) would be kept by one and removed by the other.
      const minted = EVENTS.filter((e) => e.org !== 'legacy')
      for (const st of [sqlite, postgres]) expect(await appendAll(st, minted)).toBe(minted.length)
      const cutoff = T0 + DAY_MS + 5 * HOUR_MS + 1234
      const removed = await Promise.all([sqlite.prune(cutoff, { slice: 100 }), postgres.prune(cutoff, { slice: 100 })])
      expect(removed[1]).toBe(removed[0])
      expect(removed[0]).toBeGreaterThan(1000)
      expect(await Promise.all([sqlite.prune(cutoff), postgres.prune(cutoff)])).toEqual([0, 0])
      for (const org of ORGS) {
        const left = await Promise.all([sqlite, postgres].map((st) => st.list(org, ALL_EVENTS, { limit: 10_000, cursor: null })))
        expect(JSON.stringify(left[1])).toBe(JSON.stringify(asPostgresStores(left[0])))
      }
      const left = await postgres.list('default', ALL_EVENTS, { limit: 10_000, cursor: null })
      expect(left.events.every((e) => Date.parse(e.time) >= cutoff - 60_000)).toBe(true)
      // Roll-ups stay.
      expectTableEquals('rollups_hourly', await stores[1]!.table('rollups_hourly'), EXPECTED.rollups_hourly!.of(asPostgresStores(minted)))
      // An old event arriving after its day was dropped is stored again (its partition made anew).
      const late = event({ time: new Date(T0 + 3 * HOUR_MS).toISOString(), org: 'default' })
      expect(await Promise.all([sqlite.append([late]), postgres.append([late])])).toEqual([1, 1])
      const got = await Promise.all([sqlite.get('default', late.id), postgres.get('default', late.id)])
      expect(got[1]).toEqual(got[0])
      expect(got[0]?.id).toBe(late.id)
      // Stopped before the next slice: the first still runs.
      const stopped = await Promise.all([sqlite, postgres].map((st) => st.prune(NOW, { slice: 10, stopped: () => true })))
      for (const n of stopped) expect(n).toBeGreaterThan(0)
    } finally {
      for (const o of stores) await o.close()
    }
  }, 120_000)
})

// ---- the writer over Postgres, the server halted mid-way ----

/** The store, recording the batches it stored, in order. */
class Recording implements EventSink {
  readonly stored: string[] = []
  constructor(private readonly inner: EventStore) {}
  async append(batch: readonly LectrEvent[]): Promise<number> {
    const n = await this.inner.append(batch)
    for (const e of batch) this.stored.push(e.id)
    return n
  }
  isEventFault(err: unknown): boolean {
    return this.inner.isEventFault(err)
  }
  closing(): void {
    this.inner.closing()
  }
}

describe('the event writer over PostgresEventStore while Postgres is away', () => {
  test('events wait (memory, then the spill file), none lost, in order, none doubled once Postgres is back', async () => {
    const own = await startPostgres()
    const dir = mkdtempSync(join(tmpdir(), 'lectr-pg-writer-'))
    const sql = connectPostgres(own.url, { max: 2, connectionTimeout: 2 })
    try {
      await migratePostgres(sql)
      const store = new PostgresEventStore(sql)
      await store.prepare(Date.now())
      const recording = new Recording(store)
      const spill = join(dir, 'lectr.db.spill.ndjson')
      const writer = new EventWriter(recording, { batchSize: 25, flushMs: 5, maxQueued: 60, spillPath: spill, log: () => {} })
      const events: LectrEvent[] = []
      const enqueue = (n: number) => {
        for (let i = 0; i < n; i++) {
          const e = event({ time: new Date(Date.now() + events.length).toISOString(), model: `m${events.length % 4}` })
          events.push(e)
          writer.enqueue(e)
        }
      }
      enqueue(100)
      await eventually(() => writer.written >= 50, 15_000)
      enqueue(40)
      await own.halt('immediate')
      enqueue(200)
      // `spilled` counts events on their way to the file too (appended at the next turn): wait for the file itself.
      await eventually(() => writer.health().failing !== null && writer.spilled > 0 && existsSync(spill), 15_000)
      expect(writer.pending).toBeLessThanOrEqual(60)
      enqueue(30)
      // What the writer is told: the server's absence is not the events' fault (it waits and retries).
      const away = await store.append([event()]).catch((err: unknown) => err)
      expect(away).toBeInstanceOf(Error)
      expect(store.isEventFault(away)).toBe(false)
      await own.resume()
      await eventually(() => writer.health().queued === 0 && writer.spilled === 0 && !existsSync(spill), 30_000)
      expect(await writer.close()).toBe(true)

      expect(writer.health()).toMatchObject({ written: 370, dropped: 0, overflowed: 0, failing: null })
      // In order: the batches stored, each event at its first appearance, are the events as enqueued.
      expect([...new Set(recording.stored)]).toEqual(events.map((e) => e.id))
      const [counts] = await sql`SELECT COUNT(*)::int AS n, COUNT(DISTINCT id)::int AS ids FROM events`
      expect(counts).toEqual({ n: 370, ids: 370 })
      const [sums] = await sql`SELECT SUM(requests)::int AS h, (SELECT SUM(requests)::int FROM model_rollups_daily) AS d,
        (SELECT SUM(requests)::int FROM latency_hourly) AS l FROM rollups_hourly`
      expect(sums).toEqual({ h: 370, d: 370, l: 370 })
    } finally {
      await sql.close()
      await own.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)
})

describe('an event Postgres refuses', () => {
  test('is the event\'s fault: the writer drops it alone and stores the rest of its batch and the later ones, in order', async () => {
    const sql = connectPostgres(await createDatabase(pg, `contract_events_${++databases}`), { max: 2 })
    try {
      await migratePostgres(sql)
      const store = new PostgresEventStore(sql)
      // status is an INTEGER column: a value beyond it is refused (22003), whatever the retries
      const bad = event({ status: 3_000_000_000 })
      const refused = await store.append([bad]).catch((err: unknown) => err)
      expect(store.isEventFault(refused)).toBe(true)
      const recording = new Recording(store)
      const logs: string[] = []
      const writer = new EventWriter(recording, { batchSize: 10, flushMs: 1, log: (l) => logs.push(l) })
      const events = Array.from({ length: 25 }, (_, i) => event({ time: new Date(T0 + i).toISOString() }))
      events.splice(13, 0, bad)
      for (const e of events) writer.enqueue(e)
      await eventually(() => writer.pending === 0 && writer.written === 25, 15_000)
      expect(await writer.close()).toBe(true)
      expect(writer.health()).toMatchObject({ written: 25, dropped: 1, failing: null })
      expect(logs.filter((l) => l.includes(`event ${bad.id} cannot be stored and was dropped`))).toHaveLength(1)
      const stored = await store.list('default', ALL_EVENTS, { limit: 100, cursor: null })
      expect(stored.events.map((e) => e.id)).toEqual(events.filter((e) => e !== bad).map((e) => e.id).reverse())
      const [sums] = await sql`SELECT SUM(requests)::int AS n FROM rollups_hourly`
      expect(sums.n).toBe(25)
    } finally {
      await sql.close()
    }
  }, 60_000)
})
