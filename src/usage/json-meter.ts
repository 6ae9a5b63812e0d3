import { anthropicEventUsage, anthropicUsage, mergeAnthropicUsage, type AnthropicUsageFields } from './anthropic-usage'
import { BodyKeeper } from './body-keeper'
import { firstStringValue, lastObjectText } from './json-scan'
import { parseJsonSafely, readErrorCode, readModel, readUsage, usageForEndpoint } from './read'
import type { Endpoint, Meter, MeterResult, Usage } from '../domain'
import { isMessagesEndpoint } from './types'

/** Stateless (no `stream` option), so one serves every meter. */
const decoder = new TextDecoder()
/**
 * Bodies up to this size are parsed whole. It is also what a piped JSON answer keeps in memory while it passes, so it
 * stays small: a slow client of a huge answer must not cost Lectr more than a few MiB (the proxy reads JSON answers
 * whole only up to the same size).
 */
const MAX_BODY_BYTES = 2 * 1024 * 1024
/** Of a larger body, this much of its start and end is kept and scanned for `model` and `usage`. */
const EDGE_BYTES = 64 * 1024

export interface JsonMeterLimits {
  maxBodyBytes?: number
  edgeBytes?: number
}

/**
 * A meter for non-streaming answers (and error bodies): `push` passes every chunk on unchanged and keeps a
 * reference to it; `finish` joins and parses the body once and reads usage, `responseModel` and `errorCode`.
 *
 * A body that does not parse (cut off, or not JSON) or outgrew `maxBodyBytes` is scanned instead: its first
 * `model` string and its last `usage` object (last in OpenAI-shaped answers); no error code then. A JSON meter's
 * usage is never estimated.
 *
 * @example
 * const meter = createJsonMeter('embeddings')
 * for await (const chunk of upstream) client.write(meter.push(chunk))
 * meter.finish(true) // { usage: { inputTokens: 8, ..., outputTokens: 0 }, estimated: false, responseModel, errorCode }
 */
export function createJsonMeter(endpoint: Endpoint, limits: JsonMeterLimits = {}): Meter {
  const body = new BodyKeeper(limits.maxBodyBytes ?? MAX_BODY_BYTES, limits.edgeBytes ?? EDGE_BYTES)
  return {
    push(chunk) {
      body.add(chunk)
      return chunk
    },
    flush() {
      return null
    },
    finish() {
      const whole = body.whole()
      if (whole) return meterText(decoder.decode(whole), endpoint)
      const { head, tail } = body.edges()
      return scanned(decoder.decode(head), decoder.decode(tail), endpoint)
    },
  }
}

/**
 * What `createJsonMeter` finds in a body read whole, without a meter around it (the proxy's path for whole JSON
 * answers). A body over `maxBodyBytes` is scanned at its first and last `edgeBytes`.
 *
 * @example meterJsonBody(bytes, 'chat/completions') // { usage: { inputTokens: 42, ... }, estimated: false, responseModel, errorCode }
 */
export function meterJsonBody(body: Uint8Array, endpoint: Endpoint, limits: JsonMeterLimits = {}): MeterResult {
  const max = limits.maxBodyBytes ?? MAX_BODY_BYTES
  if (body.length <= max) return meterText(decoder.decode(body), endpoint)
  const edge = limits.edgeBytes ?? EDGE_BYTES
  return scanned(decoder.decode(body.subarray(0, edge)), decoder.decode(body.subarray(body.length - edge)), endpoint)
}

function meterText(text: string, endpoint: Endpoint): MeterResult {
  const answer = parseJsonSafely(text)
  return answer === undefined ? scanned(text, text, endpoint) : resultOf(answer, endpoint)
}

function resultOf(answer: unknown, endpoint: Endpoint): MeterResult {
  const usage = isMessagesEndpoint(endpoint) ? readMessagesUsage(answer) : readUsage(answer)
  return {
    usage: usage && usageForEndpoint(usage, endpoint),
    estimated: false,
    responseModel: readModel(answer),
    errorCode: readErrorCode(answer),
  }
}

/** What scanning finds, shaped as an answer so that the same readers apply. */
function scanned(head: string, tail: string, endpoint: Endpoint): MeterResult {
  return resultOf(
    {
      model: firstStringValue(head, '"model"') ?? firstStringValue(tail, '"model"'),
      usage: parseJsonSafely(lastObjectText(tail, '"usage"') ?? ''),
    },
    endpoint,
  )
}

/** An Anthropic Messages API answer's (or `count_tokens` answer's) usage, cache counters included. */
function readMessagesUsage(answer: unknown): Usage | null {
  const fields: AnthropicUsageFields = {}
  // count_tokens answers `{"input_tokens": n}` at the top level
  const usage = anthropicEventUsage(answer) ?? answer
  return mergeAnthropicUsage(fields, usage) ? anthropicUsage(fields) : null
}
