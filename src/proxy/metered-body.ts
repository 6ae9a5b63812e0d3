import { concatBytes } from '../usage/bytes'
import type { Meter } from '../usage/types'
import { createGcPacer } from './gc-pacer'

/** One collection per 512 KiB streamed, over all streams (see createGcPacer). */
const paceGc = createGcPacer(512 * 1024)

/**
 * How a piped answer ended. `complete-client-closed`: the client closed after the terminal event (`[DONE]`,
 * `message_stop`, `response.completed`) had been handed to its connection, which the official SDKs do, so the answer
 * counts as complete; the upstream request is still open and is aborted. `upstream-stalled`: no byte for
 * `idleMs` (see `MeteredBodyOptions`).
 */
export type BodyOutcome = 'complete' | 'complete-client-closed' | 'client-gone' | 'upstream-broken' | 'upstream-stalled'

export interface MeteredBodyOptions {
  /** a started body that sends no byte for this long is ended as `upstream-stalled`; 0: never */
  idleMs?: number
  /** what the client is sent, last, when the upstream stalled (an SSE error event); null: the answer is cut off */
  stalledTail?: (() => Uint8Array) | null
}

/**
 * The upstream body as the client receives it: each chunk passes through the meter and is handed on as soon as it
 * arrives (no buffering; the meter may only remove a usage chunk Lectr asked for), and `onEnd` runs exactly once,
 * however the body ends.
 *
 * A pull-based stream with a high-water mark of 0: the next upstream chunk is read only when Bun asks for one, which
 * it does once the previous one went to the socket. So a client that reads slowly, or not at all, holds back the
 * upstream (TCP flow control does the rest) instead of Lectr buffering the whole answer: measured on Bun 1.4.5, a
 * client that never reads a 200 MiB answer makes Lectr pull about 13 MiB from upstream, most of it in the kernel's
 * socket buffers. A "direct" stream (`controller.write` + `await controller.flush()`) does not wait for the socket:
 * it pulled all 200 MiB into memory.
 */
export function meteredBody(
  upstream: ReadableStream<Uint8Array>,
  meter: Meter,
  onEnd: (outcome: BodyOutcome) => void,
  abortUpstream: () => void,
  options: MeteredBodyOptions = {},
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader()
  const idleMs = options.idleMs ?? 0
  let ended = false
  let stalled = false
  /** the meter had passed the terminal event when Bun asked for more: that event is on the client's connection */
  let terminalHandedOn = false
  let lastByte = 0x0a
  let secondLastByte = 0x0a
  const end = (outcome: BodyOutcome) => {
    if (ended) return
    ended = true
    onEnd(outcome)
  }
  const read = (): ReturnType<typeof reader.read> => {
    if (idleMs <= 0) return reader.read()
    const timer = setTimeout(() => {
      stalled = true
      abortUpstream()
      reader.cancel().catch(() => {})
    }, idleMs)
    return reader.read().finally(() => clearTimeout(timer))
  }
  const endStalled = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (ended) return
    end('upstream-stalled')
    const tail = options.stalledTail?.()
    // Without an error event to say so (not an event stream), the answer is cut, as a broken upstream's is, so that
    // the client cannot take a truncated body for a whole one.
    if (!tail) return controller.error(new Error('the upstream stalled'))
    // The error event must start on a fresh line: the upstream may have stopped in the middle of an event.
    const atBoundary = lastByte === 0x0a && (secondLastByte === 0x0a || secondLastByte === 0x0d)
    controller.enqueue(atBoundary ? tail : concatBytes([BLANK_LINE, tail]))
    controller.close()
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (meter.sawTerminalEvent?.()) terminalHandedOn = true
        for (;;) {
          let result: Awaited<ReturnType<typeof reader.read>>
          try {
            result = await read()
          } catch {
            if (stalled) return endStalled(controller)
            end('upstream-broken')
            // Not the fetch error itself: Bun prints it with the upstream URL, and a URL may carry a key (?key=…).
            controller.error(new Error('the upstream stream broke'))
            return
          }
          if (stalled) return endStalled(controller)
          if (ended) return
          if (result.done) break
          const value = result.value
          paceGc(value.byteLength)
          const out = meter.push(value)
          // A chunk that was all usage chunk (removed) gives nothing to hand on: read on, Bun asked for bytes.
          if (out.byteLength) {
            if (out.byteLength > 1) secondLastByte = out[out.byteLength - 2]!
            else secondLastByte = lastByte
            lastByte = out[out.byteLength - 1]!
            controller.enqueue(out)
            return
          }
        }
        const tail = meter.flush()
        if (tail && tail.byteLength) controller.enqueue(tail)
        end('complete')
        controller.close()
      },
      cancel() {
        end(terminalHandedOn ? 'complete-client-closed' : 'client-gone')
        abortUpstream()
        reader.cancel().catch(() => {})
      },
    },
    { highWaterMark: 0 },
  )
}

const BLANK_LINE = new Uint8Array([0x0a, 0x0a])
