import { BodyKeeper } from './body-keeper'
import { firstStringValue, lastObjectText } from './json-scan'
import { parseJsonSafely, readErrorCode, readModel, readUsage, usageForEndpoint } from './read'
import type { Endpoint, Meter, MeterResult } from './types'

/** Stateless (no `stream` option), so one serves every meter. */
const decoder = new TextDecoder()
/** Bodies up to this size are parsed whole. */
const MAX_BODY_BYTES = 8 * 1024 * 1024
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

  const resultOf = (answer: unknown): MeterResult => {
    const usage = readUsage(answer)
    return {
      usage: usage && usageForEndpoint(usage, endpoint),
      estimated: false,
      responseModel: readModel(answer),
      errorCode: readErrorCode(answer),
    }
  }
  /** What scanning finds, shaped as an answer so that the same readers apply. */
  const scanned = (head: string, tail: string): MeterResult =>
    resultOf({
      model: firstStringValue(head, '"model"') ?? firstStringValue(tail, '"model"'),
      usage: parseJsonSafely(lastObjectText(tail, '"usage"') ?? ''),
    })

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
      if (whole) {
        const text = decoder.decode(whole)
        const answer = parseJsonSafely(text)
        return answer === undefined ? scanned(text, text) : resultOf(answer)
      }
      const { head, tail } = body.edges()
      return scanned(decoder.decode(head), decoder.decode(tail))
    },
  }
}
