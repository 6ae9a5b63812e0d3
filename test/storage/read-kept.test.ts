/**
 * What the SQLite roll-up store keeps between reads so that a page read while requests arrive costs little (issue 18):
 * the part of a window's first, finished day, and the engine's suggestions of unchanged groups. Each test writes
 * what would make a kept answer wrong and checks that the next read sees it.
 */
import { describe, expect, test } from 'bun:test'
import { modelRows } from '../../src/dashboard/queries'
import { DAY_MS, HOUR_MS } from '../../src/domain'
import { recommendationsFor } from '../../src/operations/recommendations'
import { recommend } from '../../src/recommend/engine'
import { builtinRegistry } from '../../src/registry/load'
import { SqliteRollupStore } from '../../src/storage/sqlite/rollups'
import type { Storage } from '../../src/storage'
import { sqliteRollupFixture } from '../helpers/sqlite-rollups'

const NOW = Date.parse('2025-03-14T12:34:56Z')
const setup = sqliteRollupFixture(NOW, 'lectr-kept-')

describe('the part of a window\'s first day, kept between reads', () => {
  // The recommendations' 30-day window starts at the hour 30 days ago: its first day is the part from then to midnight.
  const since = NOW - 30 * DAY_MS
  const firstDayPart = since - (since % HOUR_MS) + HOUR_MS
  const read = async (rollups: SqliteRollupStore) => {
    const span = await rollups.span('default', since - (since % HOUR_MS), NOW - (NOW % HOUR_MS) + HOUR_MS, 'all')
    return { hours: [...span.hours], groups: [...span.groups.values()], usage: await rollups.usageGroups('default', since, NOW) }
  }

  test('a late event in that part (a long request recorded when it ended) is in the next read', async () => {
    const { writer, rollups, record, fresh } = setup()
    for (let d = 1; d <= 29; d++) record(NOW - d * DAY_MS, { feature: `f${d % 3}` })
    record(firstDayPart, { feature: 'early' })
    record(since - 2 * HOUR_MS, { feature: 'early' }) // before the window: never counted
    writer.flush()
    const before = await read(rollups)
    expect(before.usage.find((g) => g.feature === 'early')?.requests).toBe(1)
    expect(await read(rollups)).toEqual(before)
    record(firstDayPart + HOUR_MS, { feature: 'early' })
    writer.flush()
    const after = await read(rollups)
    expect(after.usage.find((g) => g.feature === 'early')?.requests).toBe(2)
    expect(after).toEqual(await read(fresh()))
  })

  test('re-pricing that part is in the next read', async () => {
    const { writer, rollups, record, fresh } = setup()
    record(firstDayPart, { model: 'gpt-4o', costUsd: null, feature: 'unpriced' })
    writer.flush()
    const before = await read(rollups)
    expect(before.usage[0]!.unpricedRequests).toBe(1)
    const result = await rollups.reprice('default', since - DAY_MS, NOW, builtinRegistry())
    expect(result.repriced).toBe(1)
    const after = await read(rollups)
    expect(after.usage[0]!.unpricedRequests).toBe(0)
    expect(after.usage[0]!.costUsd).toBeGreaterThan(0)
    expect(after).toEqual(await read(fresh()))
  })
})

describe('a finished day\'s groups read without grouping', () => {
  test('two long names that read as one (cut to LIMITS.shown) are still one group, their requests summed', async () => {
    const { writer, rollups, record } = setup()
    const long = 'm'.repeat(300)
    record(NOW - 2 * DAY_MS, { model: `${long}-a` })
    record(NOW - 2 * DAY_MS + 1000, { model: `${long}-b` })
    record(NOW - 2 * DAY_MS + 2000, { model: 'gpt-4o' })
    writer.flush()
    const rows = await modelRows(rollups, 'default', null, '7d', NOW)
    expect(rows.map((r) => [r.model.length, r.requests]).sort()).toEqual([[257, 2], [6, 1]].sort())
  })
})

describe('the recommendations computed again while requests arrive', () => {
  test('after new events in one group, the list is exactly the one the engine gives over every group', async () => {
    const { writer, rollups, record } = setup()
    for (let i = 0; i < 30; i++) for (let k = 0; k < 20; k++) record(NOW - DAY_MS + i * 60_000 + k, { feature: `feature-${i}`, task: 'classification', inputTokens: 100 + i })
    writer.flush()
    const deps = { storage: { rollups } as unknown as Storage, registry: { current: () => builtinRegistry() }, clock: () => new Date(NOW) }
    const since = NOW - 30 * DAY_MS
    const first = await recommendationsFor(deps as never, 'default', since, NOW)
    expect(first.length).toBe(30)
    // Today's traffic moves one group's savings above every other.
    for (let k = 0; k < 500; k++) record(NOW - HOUR_MS + k, { feature: 'feature-7', task: 'classification', inputTokens: 50_000 })
    writer.flush()
    const again = await recommendationsFor(deps as never, 'default', since, NOW)
    expect(again[0]!.feature).toBe('feature-7')
    expect(again[0]!.requests).toBe(520)
    const oneGo = recommend(await rollups.usageGroups('default', since, NOW), builtinRegistry(), 30)
    expect(JSON.stringify(again)).toBe(JSON.stringify(oneGo))
    // The other groups' suggestions are the very objects of the first list.
    expect(again.find((r) => r.feature === 'feature-3')).toBe(first.find((r) => r.feature === 'feature-3')!)
  })
})
