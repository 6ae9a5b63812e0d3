/**
 * The day cache never shows old numbers: a late event for a finished day, a write by another connection and a
 * large burst are all seen by the next read. And it fills itself in the background.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import { overview } from '../../src/dashboard/queries'
import { DAY_MS } from '../../src/domain'
import { SqliteRollupStore } from '../../src/storage/sqlite/rollups'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import type { LectrEvent } from '../../src/events/types'
import { eventually } from '../helpers/lectr'

const NOW = Date.parse('2025-03-14T12:34:56Z')
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function setup(opts: { maxDeltaScan?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-days-'))
  dirs.push(dir)
  const path = join(dir, 'lectr.db')
  const db = openDatabase(path)
  const writer = sqliteEventWriter(db, { log: () => {} })
  const store = new SqliteRollupStore(db, { now: () => NOW, ...opts })
  const days = store.days
  const record = (time: number, over: Partial<LectrEvent> = {}) =>
    writer.enqueue({
      id: Bun.randomUUIDv7('hex', time), time: new Date(time).toISOString(), org: 'default', provider: 'openai', providerUnknown: false,
      detection: 'exact', model: 'gpt-4o', responseModel: null, endpoint: 'chat/completions' as LectrEvent['endpoint'], stream: false,
      status: 200, errorCode: null, inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: 1, reasoningTokens: 0, costUsd: 0.01, latencyMs: 100,
      ttfbMs: null, feature: null, task: null, usageEstimated: false, registryVersion: 't', ...over,
    })
  /** what a page does: write the queue, sync, read */
  const month = async () => {
    writer.flush()
    days.sync()
    return (await overview(store, 'default', '30d', NOW)).totals.requests
  }
  return { db, path, writer, days, record, month }
}

describe('RollupDays', () => {
  test('a late event for a finished day is counted at the next read', async () => {
    const { days, record, month } = setup()
    for (let i = 0; i < 5; i++) record(NOW - 3 * DAY_MS + i * 1000)
    expect(await month()).toBe(5)
    await eventually(() => days.keptDays('default') === 31 && !days.isWarming('default'))
    expect(await month()).toBe(5) // now from the kept days
    // A long request that started three days ago ends now.
    record(NOW - 3 * DAY_MS + 10_000)
    expect(await month()).toBe(6)
    record(NOW - 60_000) // today's events are always read live
    expect(await month()).toBe(7)
  })

  test('writes between the background read at start and the first page are seen too', async () => {
    const { days, record, writer, month } = setup()
    record(NOW - 3 * DAY_MS)
    writer.flush()
    days.warm('default')
    await eventually(() => days.keptDays('default') === 31 && !days.isWarming('default'))
    record(NOW - 3 * DAY_MS + 5)
    expect(await month()).toBe(2)
  })

  test('a write by another connection (a script, a second process) clears the kept days', async () => {
    const { path, record, month } = setup()
    record(NOW - 2 * DAY_MS)
    expect(await month()).toBe(1)
    const other = new Database(path)
    other
      .query(`INSERT INTO rollups_hourly VALUES ('default', ?, 'groq', 'llama', '', '', 41, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)`)
      .run(NOW - 2 * DAY_MS - (NOW % 3_600_000))
    other.close()
    expect(await month()).toBe(42)
  })

  test('after a burst too large to check day by day, the kept days are read again in the background', async () => {
    const { days, record, month } = setup({ maxDeltaScan: 10 })
    record(NOW - 5 * DAY_MS)
    expect(await month()).toBe(1)
    await eventually(() => !days.isWarming('default'))
    for (let i = 0; i < 20; i++) record(NOW - 5 * DAY_MS + i)
    await month() // sees the burst, marks the days stale, re-reads them
    await eventually(() => !days.isWarming('default'))
    expect(await month()).toBe(21)
  })

  test('the last 31 finished days are read in the background after the first read', async () => {
    const { days, month } = setup()
    await month()
    await eventually(() => days.keptDays('default') === 31 && !days.isWarming('default'))
  })

  test('the background reading stops quietly when the database closes', async () => {
    const { db, days, month } = setup()
    await month()
    db.close()
    await eventually(() => !days.isWarming('default'))
  })
})
