import { expect, test } from 'bun:test'
import { DAY_MS } from '../../src/domain'
import { startRetention } from '../../src/operations/retention'

test('prunes at start with the cutoff of `days`, tells the store when it was stopped, and logs a failure', async () => {
  const calls: { olderThan: number; stopped: () => boolean }[] = []
  const lines: string[] = []
  const before = Date.now()
  const r = startRetention({ prune: async (olderThan, opts) => (calls.push({ olderThan, stopped: opts!.stopped! }), 0) }, 7, (l) => lines.push(l))
  await Bun.sleep(0)
  expect(calls.length).toBe(1)
  expect(calls[0]!.olderThan).toBeGreaterThanOrEqual(before - 7 * DAY_MS)
  expect(calls[0]!.olderThan).toBeLessThanOrEqual(Date.now() - 7 * DAY_MS)
  expect(calls[0]!.stopped()).toBe(false)
  r.stop()
  expect(calls[0]!.stopped()).toBe(true)

  const failing = startRetention({ prune: async () => Promise.reject(new Error('disk gone')) }, 7, (l) => lines.push(l))
  await Bun.sleep(0)
  failing.stop()
  expect(lines).toEqual(['lectr: pruning old events failed: disk gone'])
})
