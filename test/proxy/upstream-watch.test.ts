import { describe, expect, test } from 'bun:test'
import { createUpstreamWatch, UpstreamTimeout } from '../../src/proxy/upstream-watch'
import { eventually } from '../helpers/lectr'

/** A request whose client can be made to leave. */
function client() {
  const ac = new AbortController()
  return { req: new Request('http://127.0.0.1/v1/chat/completions', { signal: ac.signal }), leave: () => ac.abort() }
}

describe('createUpstreamWatch', () => {
  test('a first byte overdue aborts with UpstreamTimeout, at the first check after the deadline', async () => {
    let now = 0
    const watch = createUpstreamWatch(10, () => now)
    const w = watch.start(client().req, 1000)
    await Bun.sleep(40)
    expect(w.controller.signal.aborted).toBe(false)
    now = 1000
    await eventually(() => w.controller.signal.aborted)
    expect(w.controller.signal.reason).toBeInstanceOf(UpstreamTimeout)
    expect(watch.size).toBe(0)
  })

  test('a client that leaves aborts its upstream request with an AbortError', async () => {
    const watch = createUpstreamWatch(10)
    const c = client()
    const w = watch.start(c.req, 60_000)
    c.leave()
    await eventually(() => w.controller.signal.aborted)
    expect((w.controller.signal.reason as DOMException).name).toBe('AbortError')
  })

  test('stopped requests are never aborted, and the timer stops when nothing waits', async () => {
    let now = 0
    const watch = createUpstreamWatch(10, () => now)
    const c = client()
    const w = watch.start(c.req, 100)
    watch.stop(w)
    now = 10_000
    c.leave()
    await Bun.sleep(50)
    expect(w.controller.signal.aborted).toBe(false)
    expect(watch.size).toBe(0)
  })

  test('a stream is watched for its client only: no deadline, but a client that leaves still ends it', async () => {
    let now = 0
    const watch = createUpstreamWatch(10, () => now)
    const c = client()
    const w = watch.start(c.req, 100)
    watch.watchClientOnly(w)
    now = 1_000_000
    await Bun.sleep(50)
    expect(w.controller.signal.aborted).toBe(false)
    c.leave()
    await eventually(() => w.controller.signal.aborted)
    expect((w.controller.signal.reason as DOMException).name).toBe('AbortError')
  })
})
