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

// The watch aborts a stream's controller when its client cancels, even after the answer ended: harmless, as Bun shows.
describe('aborting a signal after its answer was read', () => {
  test("Bun's fetch lets go of a signal once its answer is read: aborting it later ends only the fetch that holds it now", async () => {
    const seen: string[] = []
    let slowAnswered = false
    const upstream = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      idleTimeout: 0,
      async fetch(req) {
        const path = new URL(req.url).pathname
        req.signal.addEventListener('abort', () => seen.push(`aborted ${path}`))
        if (path === '/slow') {
          await Bun.sleep(3000)
          slowAnswered = true
          return new Response('late')
        }
        if (path === '/stream') {
          return new Response(
            new ReadableStream({
              async pull(c) {
                for (let i = 0; i < 3; i++) {
                  c.enqueue(new TextEncoder().encode(`chunk${i}\n`))
                  await Bun.sleep(5)
                }
                c.close()
              },
            }),
          )
        }
        return Response.json({ ok: true })
      },
    })
    try {
      const base = `http://127.0.0.1:${upstream.port}`
      const ac = new AbortController()
      const held: Response[] = []
      for (let i = 0; i < 20; i++) {
        const whole = await fetch(`${base}/whole`, { method: 'POST', body: '{}', signal: ac.signal })
        expect(await whole.json()).toEqual({ ok: true })
        held.push(whole)
      }
      const streamed = await fetch(`${base}/stream`, { signal: ac.signal })
      expect(await streamed.text()).toBe('chunk0\nchunk1\nchunk2\n')
      held.push(streamed)

      const slow = fetch(`${base}/slow`, { signal: ac.signal }).then(
        () => 'answered',
        (err: Error) => err.name,
      )
      await Bun.sleep(100)
      ac.abort()
      expect(await slow).toBe('AbortError')
      // ended by the abort, not after the upstream's late answer
      expect(slowAnswered).toBe(false)
      await eventually(() => seen.includes('aborted /slow'))
      expect(seen.filter((s) => s !== 'aborted /slow')).toEqual([])
      expect(held.every((r) => r.bodyUsed)).toBe(true)
    } finally {
      upstream.stop(true)
    }
  })
})
