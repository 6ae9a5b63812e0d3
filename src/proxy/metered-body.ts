import type { Meter } from '../usage/types'

export type BodyOutcome = 'complete' | 'client-gone' | 'upstream-broken'

/**
 * The upstream body as the client receives it: each chunk passes through the meter as it arrives (no buffering;
 * the meter may only remove a usage chunk Lectr asked for), and `onEnd` runs exactly once, however the body ends.
 */
export function meteredBody(
  upstream: ReadableStream<Uint8Array>,
  meter: Meter,
  onEnd: (outcome: BodyOutcome) => void,
  abortUpstream: () => void,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader()
  let ended = false
  const end = (outcome: BodyOutcome) => {
    if (ended) return
    ended = true
    onEnd(outcome)
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Loop because the meter may swallow a whole chunk; a pull that enqueues nothing would stall.
          for (;;) {
            const { done, value } = await reader.read()
            if (done) {
              const tail = meter.flush()
              if (tail && tail.byteLength) controller.enqueue(tail)
              controller.close()
              end('complete')
              return
            }
            const out = meter.push(value)
            if (out.byteLength) {
              controller.enqueue(out)
              return
            }
          }
        } catch {
          end(ended ? 'complete' : 'upstream-broken')
          // Not the fetch error itself: Bun prints it with the upstream URL, and a URL may carry a key (?key=…).
          controller.error(new Error('the upstream stream broke'))
        }
      },
      cancel() {
        end('client-gone')
        abortUpstream()
        reader.cancel().catch(() => {})
      },
    },
    { highWaterMark: 0 },
  )
}
