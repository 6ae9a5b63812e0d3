/**
 * The table of event columns (src/events/columns.ts) is the one place an event field meets its column: it must
 * cover every LectrEvent field once, match the `events` table a fresh database gets from the migrations, and carry
 * an event through the writer's INSERT and the reads' SELECT unchanged.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate, openDatabase } from '../../src/db/open'
import { EVENT_FIELD_COLUMNS, eventValues, toEvent, type EventRow } from '../../src/events/columns'
import { EVENT_COLUMNS, EVENT_INSERT } from '../../src/storage/sqlite/event-columns'
import { getEvent } from '../../src/storage/sqlite/event-queries'
import type { LectrEvent } from '../../src/events/types'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import { LIMITS } from '../../src/limits'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function freshDb(): Database {
  const db = new Database(':memory:', { strict: true })
  migrate(db)
  return db
}

/** Every field set, none null (Required: the optional routing fields too), each value different from its default. */
const FULL: Required<LectrEvent> = {
  id: '0190f5a2-7b3c-7def-8123-456789abcdef',
  time: '2025-03-04T05:06:07.089Z',
  org: 'acme',
  provider: 'anthropic',
  providerUnknown: true,
  detection: 'prefix',
  model: 'claude-sonnet-4',
  responseModel: 'claude-sonnet-4-20250514',
  endpoint: 'messages',
  stream: true,
  status: 429,
  errorCode: 'rate_limit_error',
  inputTokens: 1200,
  cachedInputTokens: 300,
  cacheWriteTokens: 200,
  cacheWrite1hTokens: 100,
  outputTokens: 450,
  reasoningTokens: 50,
  costUsd: 0.0123456,
  latencyMs: 812.375,
  ttfbMs: 95.5,
  feature: 'search-summary',
  task: 'summarisation',
  usageEstimated: true,
  registryVersion: '2025-03-01',
  routedProvider: 'openai',
  routedModel: 'gpt-4o-mini',
  ruleId: 'cheap-summaries',
  arm: 'canary',
  routeSkipped: 'no_key',
  attempts: 2,
  baselineCostUsd: 0.0456789,
}

/** Every nullable field null; the rest as in FULL. Which fields these are is checked against the schema below. */
const NULLS: LectrEvent = {
  ...FULL,
  id: '0190f5a2-7b3c-7def-8123-456789abcde0',
  model: null,
  responseModel: null,
  errorCode: null,
  inputTokens: null,
  cachedInputTokens: null,
  cacheWriteTokens: null,
  cacheWrite1hTokens: null,
  outputTokens: null,
  reasoningTokens: null,
  costUsd: null,
  ttfbMs: null,
  feature: null,
  task: null,
  routedProvider: null,
  routedModel: null,
  ruleId: null,
  arm: null,
  routeSkipped: null,
  attempts: null,
  baselineCostUsd: null,
}

const fields = EVENT_FIELD_COLUMNS.map((c) => c.field as string)
const columns = EVENT_FIELD_COLUMNS.map((c) => c.column as string)

interface ColumnInfo {
  name: string
  type: string
  notnull: number
}
const schema = freshDb().query('PRAGMA table_info(events)').all() as ColumnInfo[]
const schemaByName = new Map(schema.map((c) => [c.name, c]))

/** The declared type a column of each kind must have in `events` (the table is STRICT: the type is enforced). */
const DECLARED = { text: 'TEXT', int: 'INTEGER', real: 'REAL', bool: 'INTEGER', time: 'INTEGER' } as const

function roundTrip(db: Database, e: LectrEvent): LectrEvent {
  db.query(EVENT_INSERT).run(...eventValues(e))
  return toEvent(db.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE org_id = ? AND id = ?`).get(e.org, e.id) as EventRow)
}

describe('the table of event columns', () => {
  // (A field missing from the table is also a type error in src/events/columns.ts, which `tsc` checks.)
  test('covers every LectrEvent field exactly once, each with its own column', () => {
    expect(new Set(fields).size).toBe(fields.length)
    expect(new Set(columns).size).toBe(columns.length)
    expect([...fields].sort()).toEqual(Object.keys(FULL).sort())
  })

  test('every column is in the migrated events table with a matching type, and nullable exactly where the field is', () => {
    for (const c of EVENT_FIELD_COLUMNS) {
      const info = schemaByName.get(c.column)
      expect(info, `events.${c.column}`).toBeDefined()
      expect(`${c.column} ${info!.type}`).toBe(`${c.column} ${DECLARED[c.kind]}`)
      const nullable = NULLS[c.field] === null
      expect(`${c.column} nullable: ${info!.notnull === 0}`).toBe(`${c.column} nullable: ${nullable}`)
    }
  })

  test('every column of the events table is mapped to a field (none is left out)', () => {
    expect(schema.map((c) => c.name).filter((name) => !columns.includes(name))).toEqual([])
  })

  test('the INSERT names each column once, with one placeholder each', () => {
    const [, list, marks] = EVENT_INSERT.match(/INSERT INTO events \(([^)]*)\)\s*VALUES \(([^)]*)\)/)!
    expect(list!.split(',').map((s) => s.trim())).toEqual(columns)
    expect(marks!.split(',').map((s) => s.trim())).toEqual(columns.map(() => '?'))
    expect(eventValues(FULL)).toHaveLength(columns.length)
  })

  test('values: booleans as 0/1, the time as epoch ms, absent optional fields as null', () => {
    const { routedProvider, routedModel, ruleId, arm, routeSkipped, attempts, baselineCostUsd, ...beforeRouting } = FULL
    const values = eventValues({ ...beforeRouting, providerUnknown: false })
    const at = (column: string) => values[columns.indexOf(column)]
    expect(at('time')).toBe(Date.parse(FULL.time))
    expect(at('provider_unknown')).toBe(0)
    expect(at('stream')).toBe(1)
    expect(at('usage_estimated')).toBe(1)
    for (const column of ['routed_provider', 'routed_model', 'rule_id', 'arm', 'route_skipped', 'attempts', 'baseline_cost_usd']) {
      expect(at(column)).toBeNull()
    }
    // a reused array is filled, not grown
    const into: ReturnType<typeof eventValues> = []
    expect(eventValues(FULL, into)).toBe(into)
    expect(eventValues(NULLS, into)).toHaveLength(columns.length)
  })

  test('a fully populated event comes back the same through INSERT, SELECT and toEvent', () => {
    const db = freshDb()
    expect(roundTrip(db, FULL)).toEqual(FULL)
  })

  test('an event with every nullable field null comes back the same', () => {
    const db = freshDb()
    expect(roundTrip(db, NULLS)).toEqual(NULLS)
  })

  test('an event from before routing (no routing fields) reads back with them null', () => {
    const db = freshDb()
    const { routedProvider, routedModel, ruleId, arm, routeSkipped, attempts, baselineCostUsd, ...old } = FULL
    expect(roundTrip(db, old)).toEqual({
      ...old, routedProvider: null, routedModel: null, ruleId: null, arm: null, routeSkipped: null, attempts: null, baselineCostUsd: null,
    })
  })

  test("the event's keys come back in the events API's order", () => {
    const db = freshDb()
    expect(Object.keys(roundTrip(db, FULL))).toEqual([
      'id', 'time', 'org', 'provider', 'providerUnknown', 'detection', 'model', 'responseModel', 'endpoint', 'stream', 'status',
      'errorCode', 'inputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens',
      'costUsd', 'latencyMs', 'ttfbMs', 'feature', 'task', 'usageEstimated', 'registryVersion',
      'routedProvider', 'routedModel', 'ruleId', 'arm', 'routeSkipped', 'attempts', 'baselineCostUsd',
    ])
  })

  test("the client's and upstreams' strings are read cut; the others whole", () => {
    const shown = EVENT_FIELD_COLUMNS.filter((c) => 'read' in c && c.read === 'shown').map((c) => c.column)
    expect(shown).toEqual(['model', 'response_model', 'error_code', 'feature', 'routed_model'])
    const db = freshDb()
    const long = (s: string) => s + 'x'.repeat(LIMITS.shown * 4)
    const huge: LectrEvent = {
      ...FULL, model: long('m'), responseModel: long('r'), errorCode: long('e'), feature: long('f'), routedModel: long('rm'),
      ruleId: long('rule'), registryVersion: long('v'),
    }
    const back = roundTrip(db, huge)
    for (const f of ['model', 'responseModel', 'errorCode', 'feature', 'routedModel'] as const) {
      expect(back[f]).toBe(`${huge[f]!.slice(0, LIMITS.shown)}…`)
    }
    expect(back.ruleId).toBe(huge.ruleId)
    expect(back.registryVersion).toBe(huge.registryVersion)
    // the SELECT itself cuts: SQLite never hands over the whole string
    const raw = db.query(`SELECT ${EVENT_COLUMNS} FROM events`).get() as EventRow
    expect(raw.model!.length).toBe(LIMITS.shown + 1)
  })
})

describe('the event writer and reads use it', () => {
  test('both events through the real EventWriter on a migrated database file, read back with getEvent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lectr-columns-'))
    dirs.push(dir)
    const db = openDatabase(join(dir, 'lectr.db'))
    const writer = sqliteEventWriter(db, { log: () => {} })
    writer.enqueue(FULL)
    writer.enqueue(NULLS)
    // the same id again is stored once
    writer.enqueue({ ...FULL, status: 200 })
    expect(writer.close()).toBe(true)
    expect(getEvent(db, FULL.org, FULL.id)).toEqual(FULL)
    expect(getEvent(db, NULLS.org, NULLS.id)).toEqual(NULLS)
    expect((db.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(2)
    db.close()
  })
})
