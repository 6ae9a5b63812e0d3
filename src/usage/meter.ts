import type { ProviderId } from '../domain'
import { createJsonMeter } from './json-meter'
import { createSseMeter } from './sse-meter'
import type { Endpoint, Meter } from '../domain'

export interface MeterOptions {
  provider: ProviderId
  endpoint: Endpoint
  /** the request asked for a stream (`"stream": true`) */
  stream: boolean
  /** the upstream answer's `Content-Type` header, or null when it sent none */
  contentType: string | null
  /** see `SseMeterOptions.stripUsageChunk`; applies to event streams only */
  stripUsageChunk: boolean
  /** see `SseMeterOptions.inputTokensEstimate`; applies to event streams only */
  inputTokensEstimate?: number
}

export type BodyKind = 'event-stream' | 'json' | 'opaque'

/**
 * How an answer body is metered, by its content type: event streams as SSE; JSON and text (error pages,
 * mislabelled JSON) parsed; anything else (audio, images, files) not at all. Without a content type, the
 * request's `stream` flag decides.
 *
 * @example bodyKind('text/event-stream; charset=utf-8', false) // 'event-stream'
 * @example bodyKind('audio/mpeg', false)                       // 'opaque'
 */
export function bodyKind(contentType: string | null, stream: boolean): BodyKind {
  const mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase() ?? ''
  if (mediaType === '') return stream ? 'event-stream' : 'json'
  if (mediaType === 'text/event-stream') return 'event-stream'
  if (mediaType === 'application/json' || mediaType.endsWith('+json') || mediaType.startsWith('text/')) return 'json'
  return 'opaque'
}

/** A meter for bodies that carry no usage: passes chunks on and learns nothing. */
const OPAQUE_METER: Meter = {
  push: (chunk) => chunk,
  flush: () => null,
  finish: () => ({ usage: null, estimated: false, responseModel: null, errorCode: null }),
}

/**
 * The meter for one upstream answer (see `bodyKind`). Call `push` on every chunk and forward what it returns,
 * then `flush` (forward its bytes, if any) and `finish` once.
 *
 * @example
 * const meter = createMeter({ provider, endpoint, stream, contentType: upstream.headers.get('content-type'), stripUsageChunk })
 */
export function createMeter(options: MeterOptions): Meter {
  switch (bodyKind(options.contentType, options.stream)) {
    case 'event-stream':
      return createSseMeter(options)
    case 'json':
      return createJsonMeter(options.endpoint)
    case 'opaque':
      return OPAQUE_METER
  }
}
