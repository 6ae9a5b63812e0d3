/**
 * The event queue's bound (LECTR_EVENT_BUFFER) while the database cannot be written: memory never holds more than
 * the bound, events beyond it go to the spill file and come back in order once writes work (a stop in between
 * included), and only when the file cannot be written either are they lost: counted and logged once per burst.
 * A read's flush writes at most one batch, and nothing while the writer backs off.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import type { LectrEvent } from '../../src/events/types'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import { eventually } from '../helpers/lectr'

const dirs: string[] = []
function tempDb(): { db: Database; path: string; spill: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-queue-'))
  dirs.push(dir)
  const path = join(dir, 'lectr.db')
  return { db: openDatabase(path), path, spill: `${path}.spill.ndjson` }
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

let seq = 0
function event(over: Partial<LectrEvent> = {}): LectrEvent {
  const time = new Date().toISOString()
  return {
    id: Bun.randomUUIDv7('hex', Date.parse(time)), time, org: 'default', provider: 'openai', providerUnknown: false,
    detection: 'exact', model: 'gpt-4o', responseModel: 'gpt-4o-2024-08-06', endpoint: 'chat/completions', stream: false,
    status: 200, errorCode: null, inputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: 5, reasoningTokens: 0,
    costUsd: 0.000075, latencyMs: 100 + (seq++ % 50), ttfbMs: 80, feature: null, task: null, usageEstimated: false,
    registryVersion: 'test-1', ...over,
  }
}

/** Counts the transactions the writer opens on `db` (one per batch written or attempted). */
function countTransactions(db: Database): { count: number } {
  const counter = { count: 0 }
  const original = db.transaction.bind(db)
  ;(db as any).transaction = (fn: (...a: any[]) => any) => {
    const tx = original(fn)
    return (...args: any[]) => {
      counter.count++
      return tx(...args)
    }
  }
  return counter
}

/** The ids in the event log in the order they were inserted. */
const idsInOrder = (db: Database) => (db.query('SELECT id FROM events ORDER BY rowid').all() as { id: string }[]).map((r) => r.id)
const sumRollupRequests = (db: Database) => (db.query('SELECT COALESCE(SUM(requests), 0) AS n FROM rollups_hourly').get() as { n: number }).n
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean)
const nextTurn = () => new Promise((r) => setImmediate(r))

describe('the bound, with nowhere to spill', () => {
  test('memory holds at most LECTR_EVENT_BUFFER events; the rest are counted in overflowed, logged once per burst', async () => {
    const { db } = tempDb()
    const logs: string[] = []
    const writer = sqliteEventWriter(db, { batchSize: 10, flushMs: 5, maxQueued: 50, spillPath: null, log: (l) => logs.push(l) })
    db.exec('PRAGMA query_only = 1')
    const ids: string[] = []
    for (let i = 0; i < 80; i++) {
      const e = event()
      ids.push(e.id)
      writer.enqueue(e)
      expect(writer.pending).toBeLessThanOrEqual(50)
    }
    expect(writer.pending).toBe(50)
    expect(writer.overflowed).toBe(30)
    expect(logs.filter((l) => l.includes('event queue is full'))).toHaveLength(1)
    expect(logs.find((l) => l.includes('event queue is full'))).toContain('once per burst')
    await eventually(() => writer.health().failing !== null)
    expect(writer.health()).toMatchObject({ queued: 50, spilled: 0, written: 0, overflowed: 30, dropped: 0 })
    expect(writer.health().failing).toContain('readonly')

    db.exec('PRAGMA query_only = 0')
    await eventually(() => writer.pending === 0, 8000)
    // the first 50 are kept and written in order; the newest 30 are the ones lost
    expect(idsInOrder(db)).toEqual(ids.slice(0, 50))
    expect(writer.health()).toEqual({ queued: 0, spilled: 0, written: 50, overflowed: 30, dropped: 0, failing: null, replaying: false })
    // a second burst is a second log line
    db.exec('PRAGMA query_only = 1')
    for (let i = 0; i < 60; i++) writer.enqueue(event())
    expect(logs.filter((l) => l.includes('event queue is full'))).toHaveLength(2)
    expect(writer.overflowed).toBe(40)
    db.exec('PRAGMA query_only = 0')
    writer.close()
    db.close()
  })
})

describe('the spill file', () => {
  test('beyond the bound events go to <db>.spill.ndjson and come back in order once the database takes writes', async () => {
    const { db, spill } = tempDb()
    const logs: string[] = []
    const writer = sqliteEventWriter(db, { batchSize: 20, flushMs: 5, maxQueued: 50, spillPath: spill, log: (l) => logs.push(l) })
    db.exec('PRAGMA query_only = 1')
    const ids: string[] = []
    const add = (n: number) => {
      for (let i = 0; i < n; i++) {
        const e = event()
        ids.push(e.id)
        writer.enqueue(e)
        expect(writer.pending).toBeLessThanOrEqual(50)
      }
    }
    add(120)
    // enqueue itself never touches the disk: the file is written at the next turn
    expect(existsSync(spill)).toBe(false)
    expect(writer.spilled).toBe(70)
    await nextTurn()
    expect(lines(spill)).toHaveLength(70)
    expect(lines(spill).map((l) => JSON.parse(l).id)).toEqual(ids.slice(50))
    add(30)
    await eventually(() => writer.health().failing !== null)
    expect(writer.health()).toMatchObject({ queued: 50, spilled: 100, written: 0, overflowed: 0, replaying: true })
    expect(logs.filter((l) => l.includes('event queue is full'))).toHaveLength(1)

    db.exec('PRAGMA query_only = 0')
    // events arriving while the file is replayed go behind it
    const during = setInterval(() => add(3), 2)
    await Bun.sleep(100)
    clearInterval(during)
    await eventually(() => writer.pending === 0 && writer.spilled === 0 && !existsSync(spill), 8000)
    expect(writer.health().replaying).toBe(false)
    expect(idsInOrder(db)).toEqual(ids)
    expect(sumRollupRequests(db)).toBe(ids.length)
    expect(writer.health()).toMatchObject({ written: ids.length, overflowed: 0, dropped: 0, failing: null })
    expect(logs.some((l) => l.includes('removed'))).toBe(true)
    writer.close()
    db.close()
  })

  test('a stop while the database cannot be written keeps every event in the file; the next start writes them once', async () => {
    const { db, path, spill } = tempDb()
    const logs: string[] = []
    const writer = sqliteEventWriter(db, { batchSize: 20, flushMs: 5, maxQueued: 30, spillPath: spill, log: (l) => logs.push(l) })
    const ids: string[] = []
    for (let i = 0; i < 10; i++) {
      const e = event()
      ids.push(e.id)
      writer.enqueue(e)
    }
    writer.flush()
    db.exec('PRAGMA query_only = 1')
    for (let i = 0; i < 100; i++) {
      const e = event()
      ids.push(e.id)
      writer.enqueue(e)
    }
    await nextTurn()
    // stop: five attempts fail, then the 30 in memory join the 70 in the file
    expect(writer.close()).toBe(false)
    expect(logs.some((l) => l.includes('kept in') && l.includes('for the next start'))).toBe(true)
    expect(new Set(lines(spill).map((l) => JSON.parse(l).id))).toEqual(new Set(ids.slice(10)))
    db.close()

    // the next start: the file is replayed, every event stored once, the file removed
    const db2 = openDatabase(path)
    const logs2: string[] = []
    const again = sqliteEventWriter(db2, { batchSize: 20, flushMs: 5, maxQueued: 30, spillPath: spill, log: (l) => logs2.push(l) })
    expect(logs2[0]).toContain('replaying 100 events')
    expect(again.spilled).toBe(100)
    await eventually(() => again.spilled === 0 && again.pending === 0 && !existsSync(spill), 8000)
    expect(new Set(idsInOrder(db2))).toEqual(new Set(ids))
    expect(idsInOrder(db2)).toHaveLength(110)
    expect(sumRollupRequests(db2)).toBe(110)
    again.close()
    db2.close()
  })

  test('a damaged file from a crash: whole lines are replayed, a torn one is skipped and counted in dropped', async () => {
    const { db, spill } = tempDb()
    const good = [event(), event(), event()]
    appendFileSync(spill, good.map((e) => JSON.stringify(e)).join('\n') + '\n' + 'not json\n' + JSON.stringify(event()).slice(0, 40))
    const logs: string[] = []
    const writer = sqliteEventWriter(db, { batchSize: 20, flushMs: 5, spillPath: spill, log: (l) => logs.push(l) })
    await eventually(() => !existsSync(spill))
    expect(idsInOrder(db)).toEqual(good.map((e) => e.id))
    expect(writer.dropped).toBe(2)
    expect(logs.some((l) => l.includes('damaged lines'))).toBe(true)
    writer.close()
    db.close()
  })

  test('a spill file that cannot be written: those events are lost, counted in overflowed and logged once per burst', async () => {
    const { db, spill } = tempDb()
    // a directory where the file would go: every append fails
    mkdirSync(spill)
    const logs: string[] = []
    const writer = sqliteEventWriter(db, { batchSize: 10, flushMs: 5, maxQueued: 20, spillPath: spill, log: (l) => logs.push(l) })
    db.exec('PRAGMA query_only = 1')
    for (let i = 0; i < 50; i++) writer.enqueue(event())
    await nextTurn()
    for (let i = 0; i < 10; i++) writer.enqueue(event())
    await nextTurn()
    expect(writer.pending).toBe(20)
    expect(writer.spilled).toBe(0)
    expect(writer.overflowed).toBe(40)
    expect(logs.filter((l) => l.includes('could not be spilled'))).toHaveLength(1)
    db.exec('PRAGMA query_only = 0')
    await eventually(() => writer.written === 20, 8000)
    writer.close()
    db.close()
  })
})

describe('a read never writes: it waits for the writer, or not at all while the writer fails', () => {
  test('whenWritten writes nothing itself; the writer writes the backlog a batch per turn, then it resolves', async () => {
    const { db } = tempDb()
    const writer = sqliteEventWriter(db, { batchSize: 100, flushMs: 10_000, log: () => {} })
    const tx = countTransactions(db)
    for (let i = 0; i < 1000; i++) writer.enqueue(event())
    const written = writer.whenWritten()
    expect(tx.count).toBe(0)
    expect(writer.pending).toBe(1000)
    await written
    expect(writer.written).toBe(1000)
    expect(writer.pending).toBe(0)
    // one transaction per batch (one batch per turn of the event loop), none by the read
    expect(tx.count).toBe(10)
    // nothing waits: at once
    await writer.whenWritten()
    writer.close()
    db.close()
  })

  test('while the writer backs off after a failure, a read does not wait and writes nothing', async () => {
    const { db, path } = tempDb()
    const writer = sqliteEventWriter(db, { batchSize: 100, flushMs: 5, busyTimeoutMs: 20, log: () => {} })
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE')
    for (let i = 0; i < 500; i++) writer.enqueue(event())
    await eventually(() => writer.health().failing !== null)
    const tx = countTransactions(db)
    for (let i = 0; i < 20; i++) await writer.whenWritten()
    expect(tx.count).toBe(0)
    expect(writer.pending).toBe(500)
    other.exec('ROLLBACK')
    other.close()
    await eventually(() => writer.pending === 0, 8000)
    expect(writer.written).toBe(500)
    writer.close()
    db.close()
  })

  test('a read waiting when the write fails is answered then, with what is stored', async () => {
    const { db, path } = tempDb()
    const writer = sqliteEventWriter(db, { batchSize: 100, flushMs: 10_000, busyTimeoutMs: 20, log: () => {} })
    const other = new Database(path)
    other.exec('BEGIN IMMEDIATE')
    for (let i = 0; i < 50; i++) writer.enqueue(event())
    await writer.whenWritten()
    expect(writer.health().failing).toContain('locked')
    expect(writer.pending).toBe(50)
    other.exec('ROLLBACK')
    other.close()
    await eventually(() => writer.pending === 0, 8000)
    expect(writer.written).toBe(50)
    writer.close()
    db.close()
  })
})
