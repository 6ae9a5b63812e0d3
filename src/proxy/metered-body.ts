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
  return new ReadableStream<Uint8Array>(new MeteredSource(upstream.getReader() as ReadableStreamDefaultReader<Uint8Array>, meter, onEnd, abortUpstream, options), { highWaterMark: 0 })
}

/** The pull-based source behind `meteredBody`. */
class MeteredSource {
  private readonly sent = new LastBytes()
  private ended = false
  private stalled = false
  /** the meter had passed the terminal event when Bun asked for more: that event is on the client's connection */
  private terminalHandedOn = false

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly meter: Meter,
    private readonly onEnd: (outcome: BodyOutcome) => void,
    private readonly abortUpstream: () => void,
    private readonly options: MeteredBodyOptions,
  ) {}

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    if (this.meter.sawTerminalEvent?.()) this.terminalHandedOn = true
    for (;;) {
      let result: Awaited<ReturnType<typeof this.reader.read>>
      try {
        result = await readWithin(this.reader, this.options.idleMs ?? 0, () => this.stall())
      } catch {
        if (this.stalled) return this.endStalled(controller)
        this.end('upstream-broken')
        // Not the fetch error itself: Bun prints it with the upstream URL, and a URL may carry a key (?key=…).
        return controller.error(new Error('the upstream stream broke'))
      }
      if (this.stalled) return this.endStalled(controller)
      if (this.ended) return
      if (result.done) break
      paceGc(result.value.byteLength)
      const out = this.meter.push(result.value)
      // A chunk that was all usage chunk (removed) gives nothing to hand on: read on, Bun asked for bytes.
      if (out.byteLength) {
        this.sent.saw(out)
        return controller.enqueue(out)
      }
    }
    const tail = this.meter.flush()
    if (tail && tail.byteLength) controller.enqueue(tail)
    this.end('complete')
    controller.close()
  }

  cancel(): void {
    this.end(this.terminalHandedOn ? 'complete-client-closed' : 'client-gone')
    this.abortUpstream()
    this.reader.cancel().catch(() => {})
  }

  private end(outcome: BodyOutcome): void {
    if (this.ended) return
    this.ended = true
    this.onEnd(outcome)
  }

  private stall(): void {
    this.stalled = true
    this.abortUpstream()
    this.reader.cancel().catch(() => {})
  }

  private endStalled(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.ended) return
    this.end('upstream-stalled')
    const tail = this.options.stalledTail?.()
    // Without an error event to say so (not an event stream), the answer is cut, as a broken upstream's is, so that
    // the client cannot take a truncated body for a whole one.
    if (!tail) return controller.error(new Error('the upstream stalled'))
    // The error event must start on a fresh line: the upstream may have stopped in the middle of an event.
    controller.enqueue(this.sent.endAnEvent() ? tail : concatBytes([BLANK_LINE, tail]))
    controller.close()
  }
}

/** The next chunk; `onIdle` runs when none came within `idleMs` (0: wait for ever). */
function readWithin<T>(reader: { read(): Promise<T> }, idleMs: number, onIdle: () => void): Promise<T> {
  if (idleMs <= 0) return reader.read()
  const timer = setTimeout(onIdle, idleMs)
  return reader.read().finally(() => clearTimeout(timer))
}

/** The last two bytes handed to the client, to tell whether they ended an SSE event (a blank line). */
class LastBytes {
  private last = 0x0a
  private secondLast = 0x0a

  saw(out: Uint8Array): void {
    this.secondLast = out.byteLength > 1 ? out[out.byteLength - 2]! : this.last
    this.last = out[out.byteLength - 1]!
  }

  endAnEvent(): boolean {
    return this.last === 0x0a && (this.secondLast === 0x0a || this.secondLast === 0x0d)
  }
}

const BLANK_LINE = new Uint8Array([0x0a, 0x0a])
