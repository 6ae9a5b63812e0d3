/**
 * The event writer over a store that answers later (as Postgres will, issue 20): a scripted in-memory store whose
 * `append` is slow, fails for a while, or refuses one event. Order kept, nothing lost, nothing counted twice, one
 * batch in flight at a time, the spill file replayed, and `close` waiting for the batch in flight.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LectrEvent } from '../../src/domain'
import type { EventSink } from '../../src/events/sink'
import { EventWriter } from '../../src/events/writer'
import { eventually } from '../helpers/lectr'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function spillPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-async-writer-'))
  dirs.push(dir)
  return join(dir, 'lectr.db.spill.ndjson')
}

class RefusedValue extends Error {}

/** An event log in memory whose every write takes `delayMs` and can be made to fail or to refuse an event. */
class ScriptedStore implements EventSink {
  /** stored ids, in the order they were stored */
  readonly ids: string[] = []
  private readonly seen = new Set<string>()
  delayMs = 2
  /** a database condition: every append rejects with it while set */
  down: Error | null = null
  /** ids whose values this store refuses (an append containing one rejects, storing nothing) */
  readonly refuse = new Set<string>()
  appends = 0
  inFlight = 0
  maxInFlight = 0
  closingCalled = false

  async append(batch: readonly LectrEvent[]): Promise<number> {
    this.appends++
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      await Bun.sleep(this.delayMs)
      if (this.down) throw this.down
      if (batch.some((e) => this.refuse.has(e.id))) throw new RefusedValue('value out of range')
      let added = 0
      for (const e of batch) {
        if (this.seen.has(e.id)) continue
        this.seen.add(e.id)
        this.ids.push(e.id)
        added++
      }
      return added
    } finally {
      this.inFlight--
    }
  }

  isEventFault(err: unknown): boolean {
    return err instanceof RefusedValue
  }

  closing(): void {
    this.closingCalled = true
  }
}

let seq = 0
function event(): LectrEvent {
  const time = new Date().toISOString()
  return {
    id: `${Bun.randomUUIDv7('hex', Date.parse(time))}-${seq++}`, time, org: 'default', provider: 'openai', providerUnknown: false,
    detection: 'exact', model: 'gpt-4o', responseModel: null, endpoint: 'chat/completions', stream: false, status: 200,
    errorCode: null, inputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 5,
    reasoningTokens: 0, costUsd: 0.0001, latencyMs: 100, ttfbMs: 50, feature: null, task: null, usageEstimated: false,
    registryVersion: 'test',
  }
}

describe('the event writer over an async store', () => {
  test('a slow store: every event once, in order, one batch in flight at a time; an event enqueued twice counts once', async () => {
    const store = new ScriptedStore()
    const writer = new EventWriter(store, { batchSize: 37, flushMs: 1, log: () => {} })
    const events: LectrEvent[] = []
    for (let i = 0; i < 1000; i++) {
      const e = event()
      events.push(e)
      writer.enqueue(e)
      if (i % 10 === 0) writer.enqueue(e)
      if (i % 97 === 0) await Bun.sleep(1)
    }
    await eventually(() => writer.pending === 0 && store.inFlight === 0, 10_000)
    expect(store.ids).toEqual(events.map((e) => e.id))
    expect(writer.written).toBe(1000)
    expect(store.maxInFlight).toBe(1)
    expect(writer.health()).toMatchObject({ queued: 0, spilled: 0, written: 1000, dropped: 0, overflowed: 0, failing: null })
    expect(await writer.close()).toBe(true)
  })

  test('a store down for a while: events beyond the bound go to the spill file and all arrive, in order, when it is back', async () => {
    const store = new ScriptedStore()
    store.down = new Error('connection refused')
    const spill = spillPath()
    const logs: string[] = []
    const writer = new EventWriter(store, { batchSize: 20, flushMs: 5, maxQueued: 50, spillPath: spill, log: (l) => logs.push(l) })
    const events: LectrEvent[] = []
    for (let i = 0; i < 200; i++) {
      const e = event()
      events.push(e)
      writer.enqueue(e)
      if (i % 25 === 0) await Bun.sleep(2)
    }
    await eventually(() => writer.health().failing !== null && writer.spilled === 150)
    expect(writer.health()).toMatchObject({ queued: 50, spilled: 150, written: 0, overflowed: 0, failing: 'connection refused', replaying: true })
    expect(existsSync(spill)).toBe(true)
    // A read while the store is down does not wait for it: it sees what is stored.
    let read = false
    await writer.whenWritten().then(() => (read = true))
    expect(read).toBe(true)
    store.down = null
    await eventually(() => writer.pending === 0 && writer.spilled === 0 && !existsSync(spill) && store.inFlight === 0, 15_000)
    expect(store.ids).toEqual(events.map((e) => e.id))
    expect(writer.health()).toEqual({ queued: 0, spilled: 0, written: 200, overflowed: 0, dropped: 0, failing: null, replaying: false })
    expect(store.maxInFlight).toBe(1)
    expect(logs.some((l) => l.includes('event log write failed') && l.includes('connection refused'))).toBe(true)
    expect(await writer.close()).toBe(true)
  })

  test('an event the store refuses is dropped alone; the rest of its batch and every later one are stored in order', async () => {
    const store = new ScriptedStore()
    const logs: string[] = []
    const writer = new EventWriter(store, { batchSize: 10, flushMs: 1, log: (l) => logs.push(l) })
    const events = Array.from({ length: 35 }, event)
    const bad = events[13]!
    store.refuse.add(bad.id)
    for (const e of events) writer.enqueue(e)
    await eventually(() => writer.pending === 0 && store.inFlight === 0)
    expect(store.ids).toEqual(events.filter((e) => e !== bad).map((e) => e.id))
    expect(writer.health()).toMatchObject({ written: 34, dropped: 1, failing: null })
    expect(logs.filter((l) => l.includes(`event ${bad.id} cannot be stored and was dropped`))).toHaveLength(1)
    expect(store.maxInFlight).toBe(1)
    expect(await writer.close()).toBe(true)
  })

  test('close waits for the batch in flight, then writes what is left; nothing after it is taken', async () => {
    const store = new ScriptedStore()
    store.delayMs = 80
    const logs: string[] = []
    const writer = new EventWriter(store, { batchSize: 10, flushMs: 1, log: (l) => logs.push(l) })
    const events = Array.from({ length: 25 }, event)
    for (const e of events.slice(0, 10)) writer.enqueue(e)
    await eventually(() => store.inFlight === 1)
    for (const e of events.slice(10)) writer.enqueue(e)
    const closing = writer.close()
    expect(closing).toBeInstanceOf(Promise)
    expect(store.ids).toHaveLength(0)
    expect(await closing).toBe(true)
    expect(store.closingCalled).toBe(true)
    expect(store.ids).toEqual(events.map((e) => e.id))
    expect(store.maxInFlight).toBe(1)
    writer.enqueue(event())
    expect(logs.some((l) => l.includes('arrived after the event log was closed'))).toBe(true)
    expect(writer.written).toBe(25)
  })

  test('close with the store still down keeps the events in the spill file for the next start', async () => {
    const store = new ScriptedStore()
    store.down = new Error('connection refused')
    const spill = spillPath()
    const writer = new EventWriter(store, { batchSize: 10, flushMs: 1, spillPath: spill, log: () => {} })
    const events = Array.from({ length: 15 }, event)
    for (const e of events) writer.enqueue(e)
    expect(await writer.close()).toBe(false)
    expect(existsSync(spill)).toBe(true)
    store.down = null
    const again = new EventWriter(store, { batchSize: 10, flushMs: 1, spillPath: spill, log: () => {} })
    await eventually(() => again.spilled === 0 && again.pending === 0 && !existsSync(spill) && store.inFlight === 0, 8000)
    expect(store.ids).toEqual(events.map((e) => e.id))
    expect(await again.close()).toBe(true)
  })

  test('whenWritten resolves once every event queued before it is stored, without the read writing anything', async () => {
    const store = new ScriptedStore()
    store.delayMs = 20
    const writer = new EventWriter(store, { batchSize: 7, flushMs: 60_000, log: () => {} })
    const first = Array.from({ length: 30 }, event)
    for (const e of first) writer.enqueue(e)
    const appendsBefore = store.appends
    const written = writer.whenWritten()
    // The read only asked: the write happens on the writer's next turn.
    expect(store.appends).toBe(appendsBefore)
    await written
    expect(store.ids.slice(0, 30)).toEqual(first.map((e) => e.id))
    // Nothing waits: at once.
    await writer.whenWritten()
    expect(await writer.close()).toBe(true)
    // After close: at once too.
    await writer.whenWritten()
  })
})
