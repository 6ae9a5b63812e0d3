import type { ProviderId } from '../domain'
import { concatBytes, joinAdjacent } from './bytes'
import { parseSseEvent, type SseEvent } from './sse-event'
import { type FrameSink, SseFramer } from './sse-framer'
import { StreamUsageTracker } from './stream-usage'
import type { Endpoint, Meter } from '../domain'

/**
 * The largest event kept whole for parsing. Responses API events repeat the whole answer (`response.completed`)
 * and may carry images, so this is generous; a larger event is forwarded untouched but not metered.
 */
const MAX_EVENT_BYTES = 16 * 1024 * 1024

export interface SseMeterOptions {
  /** Not needed by the rules, which go by what the stream shows, so a new OpenAI-compatible provider needs nothing here. */
  provider: ProviderId
  endpoint: Endpoint
  /**
   * Lectr added `stream_options.include_usage` for a client that did not ask: remove the usage-only chunk
   * (`choices: []` and a usage) so that the client receives exactly what it would have received without Lectr.
   */
  stripUsageChunk: boolean
  /** the largest event parsed; larger ones are forwarded untouched, unmetered (default 16 MiB) */
  maxEventBytes?: number
  /** the request's input tokens estimated from its size (`estimateInputTokens`), for a stream without totals; default 0 */
  inputTokensEstimate?: number
}

/**
 * A meter for `text/event-stream` answers of every endpoint (chat, completions, Responses).
 *
 * Usage is the last one seen on any event: `usage`, Groq's `x_groq.usage`, or a Responses terminal event's
 * `response.usage` (Gemini's cumulative usage is never added up; Groq's double report counts once).
 * `responseModel` is the first non-empty `model`; `errorCode` the first error event or `{"error": ...}` payload.
 *
 * When the stream ends without totals, its usage is estimated (`estimated: true`), whether it ended normally (e.g.
 * Azure before `2024-09-01-preview`, a provider that ignores `include_usage`) or was cut off (`finish(false)`: the
 * upstream broke, the client left):
 * - cut off after a running total (Gemini): that total, with `inputTokensEstimate` as input if it counted none;
 * - otherwise: input is `inputTokensEstimate` (from the request's size) and output is estimated from the
 *   generated text seen (`delta.content`, tool-call `arguments`, reasoning text, legacy `text`, Responses
 *   `*.delta`) at 4 characters per token, rounded up. Both 0 (no estimate given, nothing generated): `usage: null`.
 *
 * Without stripping, `push` returns the very chunk it was given. With stripping, it returns the chunk minus the
 * usage-only event (byte for byte; every other byte is untouched) and holds back only a trailing incomplete
 * event, which `flush` returns at the end; `push` may then return an empty array.
 *
 * @example
 * const meter = createSseMeter({ provider: 'openai', endpoint: 'chat/completions', stripUsageChunk: true })
 * for await (const chunk of upstream) client.write(meter.push(chunk))
 * const tail = meter.flush()
 * if (tail) client.write(tail)
 * const { usage, estimated } = meter.finish(true)
 */
// Blocks are cut at ASCII terminators, so each one is whole UTF-8 and decodes on its own, each byte once: one
// stateless decoder serves every stream.
const decoder = new TextDecoder()

export function createSseMeter(options: SseMeterOptions): Meter {
  const { stripUsageChunk } = options
  const framer = new SseFramer(options.maxEventBytes ?? MAX_EVENT_BYTES)
  const tracker = new StreamUsageTracker(options.endpoint, options.inputTokensEstimate)
  let sawTerminal = false
  const observe = (block: Uint8Array, lines?: number): boolean => {
    const event = parseSseEvent(decoder.decode(block), lines)
    if (!sawTerminal && isTerminalEvent(event)) sawTerminal = true
    return tracker.observe(event, stripUsageChunk)
  }

  const watching: FrameSink = { event: observe, oversized: () => {}, lateLf: () => {} }

  // What `push` forwards while stripping; consecutive pieces of one chunk stay one view of it.
  let forwarded: Uint8Array[] = []
  let lastBlockRemoved = false
  const forward = (piece: Uint8Array): void => {
    const previous = forwarded[forwarded.length - 1]
    const joined = previous && joinAdjacent(previous, piece)
    if (joined) forwarded[forwarded.length - 1] = joined
    else forwarded.push(piece)
  }
  const stripping: FrameSink = {
    event(block, lines) {
      lastBlockRemoved = observe(block, lines)
      if (!lastBlockRemoved) forward(block)
    },
    oversized(bytes) {
      lastBlockRemoved = false
      forward(bytes)
    },
    lateLf(byte) {
      if (!lastBlockRemoved) forward(byte)
    },
  }

  let tailTaken = false
  /**
   * The trailing incomplete event, observed once as if it were complete; null when there is none or it is the
   * usage-only chunk (an unterminated event is discarded by the client's parser anyway).
   */
  const takeTail = (): Uint8Array | null => {
    if (tailTaken) return null
    tailTaken = true
    const tail = framer.takeTail()
    return tail && !observe(tail) ? tail : null
  }

  return {
    push(chunk) {
      if (!stripUsageChunk) {
        framer.feed(chunk, watching)
        return chunk
      }
      forwarded = []
      framer.feed(chunk, stripping)
      const out = concatBytes(forwarded)
      return out.buffer === chunk.buffer && out.byteOffset === chunk.byteOffset && out.length === chunk.length ? chunk : out
    },
    flush() {
      // Without stripping every byte was forwarded already; the tail is still observed, in finish.
      return stripUsageChunk ? takeTail() : null
    },
    finish(complete) {
      takeTail()
      return tracker.result(complete)
    },
    sawTerminalEvent: () => sawTerminal,
  }
}

/**
 * The event after which a stream has nothing more to say: OpenAI's `[DONE]`, Anthropic's `message_stop`, and the
 * Responses API's terminal events (a response ends completed, incomplete or failed).
 */
const TERMINAL_TYPES: ReadonlySet<string> = new Set(['message_stop', 'response.completed', 'response.incomplete', 'response.failed'])
function isTerminalEvent(event: SseEvent): boolean {
  return event.data === '[DONE]' || (event.type !== null && TERMINAL_TYPES.has(event.type))
}
