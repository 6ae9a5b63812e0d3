import { describe, expect, test } from 'bun:test'
import { openDatabase } from '../../src/db/open'
import { modelDistribution } from '../../src/storage/sqlite/rollups'
import type { LectrEvent } from '../../src/events/types'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const START = Date.UTC(2026, 10, 1)

function event(i: number, time: number): LectrEvent {
  const model = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-haiku-20241022'][i % 3]
  return {
    id: Bun.randomUUIDv7('hex', time), time: new Date(time).toISOString(), org: i % 5 === 0 ? 'other' : 'default',
    provider: model.startsWith('claude') ? 'anthropic' : 'openai', providerUnknown: false, detection: 'exact', model,
    responseModel: model, endpoint: 'chat/completions', stream: false, status: i % 7 === 0 ? 500 : 200, errorCode: null,
    inputTokens: 100 + i, cachedInputTokens: 0, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: 10 + (i % 13), reasoningTokens: 0,
    costUsd: i % 11 === 0 ? null : (i % 17) / 1000, latencyMs: 50 + (i % 300), ttfbMs: 10, feature: `f${i % 4}`,
    task: null, usageEstimated: false, registryVersion: 't',
  }
}

describe('model distribution over days and partial days', () => {
  // 10 days of events every 7 minutes; ranges that start and end mid-day read whole days from the daily roll-up and
  // the edges from the hourly one: every range must equal a scan of the raw events over the same hours.
  const db = openDatabase(':memory:')
  const writer = sqliteEventWriter(db)
  const events: LectrEvent[] = []
  for (let i = 0, t = START; t < START + 10 * DAY; i++, t += 7 * 60_000) events.push(event(i, t))
  for (const e of events) writer.enqueue(e)
  writer.flush()

  const scan = (since: number, until: number, provider: string | null) => {
    const from = since - (since % HOUR)
    const to = until - (until % HOUR) + HOUR
    const rows = new Map<string, { requests: number; cost: number; unpriced: number; input: number }>()
    for (const e of events) {
      const t = Date.parse(e.time)
      if (e.org !== 'default' || t < from || t >= to || (provider && e.provider !== provider)) continue
      const r = rows.get(e.model!) ?? { requests: 0, cost: 0, unpriced: 0, input: 0 }
      r.requests++
      r.input += e.inputTokens!
      if (e.costUsd === null) r.unpriced++
      else r.cost += e.costUsd
      rows.set(e.model!, r)
    }
    return rows
  }

  test.each([
    ['within one day', START + 3 * DAY + 5 * HOUR, START + 3 * DAY + 9 * HOUR],
    ['across one midnight', START + 2 * DAY + 20 * HOUR, START + 3 * DAY + 2 * HOUR],
    ['several whole days and two partial ones', START + DAY + 13 * HOUR + 1234, START + 8 * DAY + 4 * HOUR + 99],
    ['exact day edges', START + 2 * DAY, START + 5 * DAY - 1],
    ['everything', START - DAY, START + 20 * DAY],
  ])('%s', (_name, since, until) => {
    for (const provider of [null, 'anthropic']) {
      const got = modelDistribution(db, 'default', { provider, since, until })
      const want = scan(since, until, provider)
      expect(got.length).toBe(want.size)
      for (const row of got) {
        const w = want.get(row.model)!
        expect(row.requests).toBe(w.requests)
        expect(row.inputTokens).toBe(w.input)
        expect(row.unpricedRequests).toBe(w.unpriced)
        expect(row.costUsd).toBeCloseTo(w.cost, 6)
      }
    }
  })
})
