/** The reason an upstream request is aborted when its provider sent no first byte in time. */
export class UpstreamTimeout extends Error {}

/** One upstream request still waiting for its first byte. */
export interface WaitingUpstream {
  /** the signal to give fetch; aborted when the client leaves or the first byte is overdue */
  readonly controller: AbortController
  readonly client: Request
  /** when the first byte is overdue; Infinity once it came and only the client is watched (a stream) */
  deadline: number
}

/**
 * Watches the upstream requests that have not answered yet, and open streams: one whose client left is aborted (so
 * the provider stops generating), one whose first byte is overdue is aborted with an `UpstreamTimeout`. One timer
 * checks them all every `tickMs` (so either happens within a tick), instead of a timer and an abort listener per
 * request: those cost about 20 us of every request, and almost every request answers before the first check. The
 * client's signal is only looked at then, for requests still waiting; Bun creates it already aborted for a client
 * that has gone.
 *
 * @example
 * const watch = createUpstreamWatch(100)
 * const waiting = watch.start(req, 600_000)
 * try { res = await fetch(url, { signal: waiting.controller.signal }) } finally { watch.stop(waiting) }
 */
export function createUpstreamWatch(tickMs: number, now: () => number = () => performance.now()) {
  const waiting = new Set<WaitingUpstream>()
  let timer: ReturnType<typeof setInterval> | null = null

  const check = () => {
    const t = now()
    for (const w of waiting) {
      if (w.client.signal.aborted) {
        waiting.delete(w)
        w.controller.abort(new DOMException('client went away', 'AbortError'))
      } else if (t >= w.deadline) {
        waiting.delete(w)
        w.controller.abort(new UpstreamTimeout())
      }
    }
    // The timer runs only while something waits (checked here, not on every stop, so a busy server keeps one timer).
    if (waiting.size === 0 && timer) {
      clearInterval(timer)
      timer = null
    }
  }

  return {
    start(client: Request, timeoutMs: number): WaitingUpstream {
      const w: WaitingUpstream = { controller: new AbortController(), client, deadline: now() + timeoutMs }
      waiting.add(w)
      if (!timer) {
        timer = setInterval(check, tickMs)
        timer.unref?.()
      }
      return w
    },
    /** The first byte came (or the fetch failed, or the answer ended): no longer watched. */
    stop(w: WaitingUpstream): void {
      waiting.delete(w)
    },
    /**
     * The first byte came and a stream follows: from now on only the client is watched, so that a client that
     * leaves while the provider is quiet still ends the upstream request. `stop` when the stream ends.
     */
    watchClientOnly(w: WaitingUpstream): void {
      w.deadline = Infinity
    },
    /** Aborts the upstream request (its client cancelled the answer, or a fallback replaces it). */
    abort(w: WaitingUpstream): void {
      waiting.delete(w)
      w.controller.abort()
    },
    /** how many are waiting (for tests) */
    get size(): number {
      return waiting.size
    },
  }
}
