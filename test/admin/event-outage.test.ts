/**
 * The database write-locked by another connection while requests keep coming (issue 15), over real sockets: the
 * proxy keeps answering, the writer's memory stays within LECTR_EVENT_BUFFER, /api/health says degraded (200) with
 * the queue's numbers, reads (admin API, dashboard) answer from what is stored without writing or waiting for the
 * backlog, and once the lock goes every event is written and health is ok again. Without a usable spill file, events beyond the bound
 * are lost, but counted and reported, never silently.
 */
import { afterAll, afterEach, beforeAll, describe, expect, spyOn, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { existsSync, mkdirSync } from 'node:fs'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { Client } from '../dashboard/_client'
import { parseConfig } from '../../src/config'

let up: FakeUpstream
const restores: (() => void)[] = []
beforeAll(() => {
  up = new FakeUpstream()
  // The writer logs each failed attempt; keep the output readable and the lines at hand.
  const spy = spyOn(console, 'error').mockImplementation(() => {})
  restores.push(() => spy.mockRestore())
})
afterAll(() => {
  for (const r of restores) r()
  up.stop()
})

const BOUND = 20
const health = async (lectr: TestLectr) => {
  const res = await fetch(`${lectr.url}/api/health`)
  expect(res.status).toBe(200)
  return answerOf(res, 'health')
}

/** Another connection holding the write lock (what a long `sqlite3` session or a backup tool can do). */
function lockWrites(dbPath: string): { release(): void } {
  const other = new Database(dbPath)
  other.exec('BEGIN IMMEDIATE')
  let held = true
  return {
    release() {
      if (!held) return
      held = false
      other.exec('ROLLBACK')
      other.close()
    },
  }
}

/** Sends `n` chat completions one after the other; every one must be answered, and memory stay within the bound. */
async function sendRequests(lectr: TestLectr, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: `hi ${i}` }] })
    expect(res.status).toBe(200)
    await res.text()
    ids.push(res.headers.get('x-lectr-request-id')!)
    expect(lectr.running.writer.pending).toBeLessThanOrEqual(BOUND)
  }
  return ids
}

let lock: { release(): void } | null = null
let lectr: TestLectr | null = null
afterEach(async () => {
  lock?.release()
  await lectr?.stop()
  lock = null
  lectr = null
})

describe('the event log cannot be written for a while', () => {
  test('bounded memory, spilled events, degraded health, reads that do not write the backlog; then every event, health ok', async () => {
    lectr = await startLectr(up, {}, { LECTR_EVENT_BUFFER: String(BOUND) })
    const writer = lectr.running.writer
    // signing in writes a session: before the lock
    const dash = Client.http(lectr.url)
    expect((await dash.signIn()).status).toBe(303)
    expect(await health(lectr)).toMatchObject({ status: 'ok', events: { queued: 0, spilled: 0, overflowed: 0, dropped: 0 } })
    expect((await health(lectr)).reason).toBeUndefined()

    lock = lockWrites(lectr.dbPath)
    const ids = await sendRequests(lectr, 3 * BOUND)
    const down = await eventually(async () => {
      const h = await health(lectr!)
      return h.status === 'degraded' && h
    })
    expect(down.events).toMatchObject({ queued: BOUND, spilled: 2 * BOUND, written: 0, overflowed: 0, dropped: 0 })
    expect(down.reason).toContain('cannot be written')
    expect(down.reason).toContain('database is locked')
    expect(down.reason).toContain(`${3 * BOUND} events wait`)
    // never a path on the unauthenticated route
    expect(down.reason).not.toContain(lectr.dir)
    expect(existsSync(`${lectr.dbPath}.spill.ndjson`)).toBe(true)

    // Reads during the outage: answered from what is written (the writer, failing, does not make them wait), never a flush.
    const full = spyOn(writer, 'flush')
    const bounded = spyOn(writer, 'whenWritten')
    try {
      for (const path of ['orgs/default/events', 'orgs/default/models', 'orgs/default/recommendations']) {
        const res = await lectr.api(path)
        expect(res.status).toBe(200)
      }
      const overview = await dash.page('/')
      expect(overview.res.status).toBe(200)
      expect(overview.html).toContain('Some requests may be missing from these pages.')
      expect(overview.html).toContain('database is locked')
      expect((await dash.page('/events')).res.status).toBe(200)
      expect(full).not.toHaveBeenCalled()
      expect(bounded.mock.calls.length).toBeGreaterThanOrEqual(5)
    } finally {
      full.mockRestore()
      bounded.mockRestore()
    }
    // the backlog is all still waiting: no read wrote it (none could, and none waited trying)
    expect(writer.health()).toMatchObject({ queued: BOUND, spilled: 2 * BOUND, written: 0 })

    lock.release()
    const up2 = await eventually(async () => {
      const h = await health(lectr!)
      return h.status === 'ok' && h
    }, 10_000)
    expect(up2.events).toEqual({ queued: 0, spilled: 0, written: 3 * BOUND, overflowed: 0, dropped: 0 })
    expect(up2.reason).toBeUndefined()
    expect(existsSync(`${lectr.dbPath}.spill.ndjson`)).toBe(false)
    expect(lectr.events().map((e) => e.id)).toEqual([...ids].sort())
    const after = await dash.page('/')
    expect(after.html).not.toContain('Some requests may be missing')
  })

  test('with nowhere to spill, events beyond the bound are lost: counted in overflowed, reported until restart', async () => {
    lectr = await startLectr(up, {}, { LECTR_EVENT_BUFFER: String(BOUND) })
    // a directory where the spill file would go: appending to it fails
    mkdirSync(`${lectr.dbPath}.spill.ndjson`)
    lock = lockWrites(lectr.dbPath)
    const ids = await sendRequests(lectr, BOUND + 15)
    const down = await eventually(async () => {
      const h = await health(lectr!)
      return h.events?.overflowed === 15 && h.reason?.includes('cannot be written') && h
    })
    expect(down.status).toBe('degraded')
    expect(down.events).toMatchObject({ queued: BOUND, spilled: 0, written: 0, overflowed: 15 })
    expect(down.reason).toContain('15 events were lost since start')

    lock.release()
    const h = await eventually(async () => {
      const h = await health(lectr!)
      return h.events?.written === BOUND && h
    }, 10_000)
    // written what it kept (the oldest), and still says what it lost
    expect(h.status).toBe('degraded')
    expect(h.reason).not.toContain('cannot be written')
    expect(h.reason).toContain('15 events were lost since start')
    expect(lectr.events().map((e) => e.id)).toEqual(ids.slice(0, BOUND).sort())
  })
})

test('LECTR_EVENT_BUFFER / --event-buffer: 100000 by default, a whole number of at least 1', () => {
  const ok = parseConfig([], {})
  expect(ok.ok && ok.config.eventBuffer).toBe(100_000)
  const set = parseConfig(['--event-buffer', '500'], {})
  expect(set.ok && set.config.eventBuffer).toBe(500)
  for (const bad of ['0', '-5', '1.5', 'many']) {
    const r = parseConfig([], { LECTR_EVENT_BUFFER: bad })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.join()).toContain('LECTR_EVENT_BUFFER')
  }
})
