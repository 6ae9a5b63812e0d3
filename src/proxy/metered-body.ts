import type { Meter } from '../usage/types'
import { createGcPacer } from './gc-pacer'

/** One collection per 512 KiB streamed, over all streams (see createGcPacer). */
const paceGc = createGcPacer(512 * 1024)

export type BodyOutcome = 'complete' | 'client-gone' | 'upstream-broken'

/**
 * The upstream body as the client receives it: each chunk passes through the meter and is written and flushed as
 * soon as it arrives (no buffering; the meter may only remove a usage chunk Lectr asked for), and `onEnd` runs
 * exactly once, however the body ends. A Bun "direct" stream: chunks go straight to the socket, without the
 * queueing of a standard ReadableStream, which matters for time to first token.
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
  return new ReadableStream<Uint8Array>({
    type: 'direct',
    async pull(controller: DirectController) {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          paceGc(value.byteLength)
          const out = meter.push(value)
          if (out.byteLength) {
            controller.write(out)
            await controller.flush()
          }
        }
      } catch {
        end('upstream-broken')
        // Not the fetch error itself: Bun prints it with the upstream URL, and a URL may carry a key (?key=…).
        controller.close(new Error('the upstream stream broke'))
        return
      }
      const tail = meter.flush()
      if (tail && tail.byteLength) controller.write(tail)
      end('complete')
      controller.close()
    },
    cancel() {
      end('client-gone')
      abortUpstream()
      reader.cancel().catch(() => {})
    },
  } as unknown as ConstructorParameters<typeof ReadableStream<Uint8Array>>[0])
}

interface DirectController {
  write(chunk: Uint8Array): number
  flush(): number | Promise<number>
  close(error?: Error): void
}
