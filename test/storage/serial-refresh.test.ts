// The Postgres stores' re-reads of what they keep in memory: one at a time, each caller served by a read that
// started after its call, and a read that overlapped the store's own write never applied (it could undo it).
import { describe, expect, test } from 'bun:test'
import { SerialRefresh } from '../../src/storage/postgres/serial-refresh'

/** A fake database read: each read returns what `db` holds when it starts, and finishes when released. */
function harness() {
  let db = 0
  let memory = -1
  const pending: (() => void)[] = []
  let reads = 0
  const refresh = new SerialRefresh(async () => {
    reads++
    const seen = db
    await new Promise<void>((r) => pending.push(r))
    return () => void (memory = seen)
  })
  const releaseAll = async () => {
    while (pending.length) {
      pending.shift()!()
      await Bun.sleep(0)
    }
  }
  return {
    refresh,
    set: (v: number) => void (db = v),
    memory: () => memory,
    setMemory: (v: number) => void (memory = v),
    reads: () => reads,
    releaseAll,
    releaseOne: async () => {
      pending.shift()?.()
      await Bun.sleep(0)
    },
  }
}

describe('SerialRefresh', () => {
  test('a call made while a read runs gets a read that starts after it; calls meanwhile share it', async () => {
    const h = harness()
    const first = h.refresh.run()
    h.set(1) // changed after the first read started
    const second = h.refresh.run()
    const third = h.refresh.run()
    expect(second).toBe(third)
    await h.releaseOne()
    await first
    expect(h.memory()).toBe(0)
    await h.releaseAll()
    await second
    expect(h.memory()).toBe(1)
    expect(h.reads()).toBe(2)
  })

  test("a read that overlapped the store's own write is not applied but done again", async () => {
    const h = harness()
    const running = h.refresh.run() // reads 0
    h.set(5)
    h.setMemory(5) // the store's own write, committed and put in memory while the read was under way
    h.refresh.wrote()
    await h.releaseOne()
    expect(h.memory()).toBe(5) // the stale 0 was not applied
    await h.releaseAll()
    await running
    expect(h.memory()).toBe(5)
    expect(h.reads()).toBe(2)
  })

  test('a failed read fails its callers, and the next call reads again', async () => {
    let fail = true
    let applied = 0
    const r = new SerialRefresh(async () => {
      if (fail) throw new Error('database away')
      return () => void applied++
    })
    await expect(r.run()).rejects.toThrow('database away')
    fail = false
    await r.run()
    expect(applied).toBe(1)
  })
})
