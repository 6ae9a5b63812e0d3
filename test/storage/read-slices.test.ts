/**
 * Long reads run on the proxy's own thread, so they let the event loop turn between bounded slices (issue 18: a
 * proxied request waits for one slice, never for a whole read). Each test queues work while a read runs (as a
 * request arriving does) and checks that it ran before the read finished. No timing: only the order of events.
 */
import { describe, expect, test } from 'bun:test'
import { overview } from '../../src/dashboard/queries'
import { DAY_MS, HOUR_MS } from '../../src/domain'
import { recommendationsFor } from '../../src/operations/recommendations'
import { answerBody } from '../../src/admin/recommendations'
import type { Recommendation } from '../../src/recommend/types'
import { builtinRegistry } from '../../src/registry/load'
import { ALL_EVENTS } from '../../src/storage/events'
import { browseEvents } from '../../src/storage/sqlite/event-browse'
import type { Storage } from '../../src/storage'
import { sqliteRollupFixture } from '../helpers/sqlite-rollups'

const NOW = Date.parse('2025-03-14T12:34:56Z')
const setup = sqliteRollupFixture(NOW, 'lectr-slices-')

/**
 * Starts `read`, queues other work right after it started (a proxied request arriving while it runs), and returns
 * the order in which the two finished.
 */
async function orderOf(read: () => Promise<unknown>): Promise<string[]> {
  const order: string[] = []
  const done = read().then(() => order.push('read'))
  setImmediate(() => order.push('other'))
  await done
  await new Promise((r) => setImmediate(r))
  return order
}

describe('long reads yield to the event loop between slices', () => {
  test('a 30-day page over days not yet kept lets other work run before it finishes, and answers as a second read does', async () => {
    const { writer, rollups, record } = setup()
    for (let d = 1; d <= 29; d++) record(NOW - d * DAY_MS, { feature: `f${d % 7}` })
    writer.flush()
    let first: unknown
    expect(await orderOf(async () => (first = await overview(rollups, 'default', '30d', NOW)))).toEqual(['other', 'read'])
    // Every day kept now: the same answer from memory.
    expect(await overview(rollups, 'default', '30d', NOW)).toEqual(first as Awaited<ReturnType<typeof overview>>)
    expect((first as Awaited<ReturnType<typeof overview>>).totals.requests).toBe(29)
  })

  test('the recommendations over more groups than one slice let other work run, and list exactly what one pass would', async () => {
    const { writer, rollups, record } = setup()
    // 1,200 groups (one per feature, several slices) over one finished day, 20 requests each: enough for a suggestion.
    for (let i = 0; i < 1200; i++) for (let k = 0; k < 20; k++) record(NOW - DAY_MS + i * 60 + k, { feature: `feature-${i}`, inputTokens: 100 + i })
    writer.flush()
    const deps = { storage: { rollups } as unknown as Storage, registry: { current: () => builtinRegistry() }, clock: () => new Date(NOW) }
    let recs: unknown[] = []
    expect(await orderOf(async () => (recs = await recommendationsFor(deps as never, 'default', NOW - 2 * DAY_MS, NOW)))).toEqual(['other', 'read'])
    expect(recs.length).toBeGreaterThan(500)
    const { recommend } = await import('../../src/recommend/engine')
    const oneGo = recommend(await rollups.usageGroups('default', NOW - 2 * DAY_MS, NOW), builtinRegistry(), 2)
    expect(JSON.stringify(recs)).toBe(JSON.stringify(oneGo))
  })

  test("a filtered Events scan over more than one chunk lets other work run before it finishes", async () => {
    const { db, writer, record } = setup()
    // 12,000 events in the last hour, the one match the oldest: the scan reads every chunk to find it.
    const start = NOW - HOUR_MS + 1000
    record(start, { model: 'rare-model' })
    for (let i = 1; i < 12_000; i++) record(start + i * 100)
    writer.flush()
    let found = 0
    const order = await orderOf(async () => {
      found = (await browseEvents(db, 'default', { ...ALL_EVENTS, model: 'rare-model' }, null, { now: NOW })).events.length
    })
    expect(order).toEqual(['other', 'read'])
    expect(found).toBe(1)
  })

  test("the admin API's whole list is written a slice at a time, and is exactly JSON.stringify's", async () => {
    const recs = Array.from({ length: 1234 }, (_, i) => ({ model: `m"${i}`, provider: 'openai', task: i % 2 ? null : 'chat', feature: null, monthlySavingsUsd: i / 3, reason: 'a\nb → ü' }) as unknown as Recommendation)
    let body = ''
    expect(await orderOf(async () => (body = await (await answerBody(recs, 1234, 0.1 + 0.2)).text()))).toEqual(['other', 'read'])
    expect(body).toBe(JSON.stringify({ recommendations: recs, total: 1234, totalMonthlySavingsUsd: 0.1 + 0.2 }))
    expect(await (await answerBody([], 0, 0)).text()).toBe(JSON.stringify({ recommendations: [], total: 0, totalMonthlySavingsUsd: 0 }))
  })
})
