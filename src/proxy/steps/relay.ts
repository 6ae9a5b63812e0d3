import type { ProviderId } from '../../registry/schema'
import { estimateInputTokens } from '../../usage/estimate'
import { meterJsonBody } from '../../usage/json-meter'
import { bodyKind, createMeter } from '../../usage/meter'
import type { Meter, MeterResult } from '../../usage/types'
import type { RequestContext } from '../context'
import { errorBody, errorResponse } from '../errors'
import { clientResponseHeaders } from '../headers'
import { meteredBody } from '../metered-body'
import { readUpTo } from '../read-up-to'
import { recordEnd } from './record'

/**
 * JSON answers up to this size (by their declared `Content-Length`) are read whole; larger ones, and those without
 * a length, are piped like streams, so that a client that reads slowly holds back the provider instead of Lectr
 * holding the answer (a large embeddings batch can be hundreds of MiB).
 */
export const WHOLE_JSON_MAX_BYTES = 2 * 1024 * 1024

/** Step 6. The upstream's answer to the client, whole or piped, metered on the way. */
export async function relay(ctx: RequestContext, upstream: Response): Promise<Response> {
  const { req, stream } = ctx
  const { watch } = ctx.proxy
  const waiting = ctx.waiting!
  ctx.ttfbMs = performance.now() - ctx.fetchStarted
  const status = upstream.status
  ctx.status = status
  // A JSON answer of a declared, modest size is read at once; anything else is piped and stays watched, for a client
  // that leaves while the provider is quiet.
  const contentType = upstream.headers.get('content-type')
  ctx.contentType = contentType
  const contentLength = upstream.headers.get('content-length')
  const readWhole = answersWhole(stream, contentType, contentLength) && mayHaveBody(req.method, status)
  const hasBody = readWhole || upstream.body !== null
  // JSON sent without a length (chunked): read whole too when it ends within the cap, else piped from there on.
  const readUpToCap = !readWhole && hasBody && contentLength === null && isJsonAnswer(stream, contentType)
  if (readWhole || !hasBody) watch.stop(waiting)
  else watch.watchClientOnly(waiting)

  const outHeaders = clientResponseHeaders(upstream.headers, ctx.record.lectrHeaders(ctx.provider.id))
  if (!hasBody) {
    ctx.record.finish(status, null, null, ctx.ttfbMs)
    return new Response(null, { status, headers: outHeaders })
  }
  if (readWhole || readUpToCap) return relayWhole(ctx, upstream, readWhole, outHeaders)
  return pipe(ctx, upstream.body!, outHeaders)
}

/**
 * A whole JSON answer: read natively and answered with at once. Streams (`stream: true`, text/event-stream) are never
 * handled this way. Piping these like streams added 117-167 us of latency (bench/latency-ab.ts, 2026-12-07).
 */
async function relayWhole(ctx: RequestContext, upstream: Response, declared: boolean, outHeaders: Headers): Promise<Response> {
  const { req, record } = ctx
  const { watch } = ctx.proxy
  const waiting = ctx.waiting!
  try {
    let whole: Uint8Array | null = null
    let piped: ReadableStream<Uint8Array> | null = null
    try {
      if (declared) whole = await upstream.bytes()
      else {
        // An answer that goes quiet is piped from there, where LECTR_STREAM_IDLE_MS applies.
        const upTo = await readUpTo(upstream.body!, WHOLE_JSON_MAX_BYTES, (ctx.proxy.deps.config.streamIdleMs ?? 0) || Infinity)
        if ('whole' in upTo) whole = upTo.whole
        else piped = upTo.rest
      }
      if (whole) watch.stop(waiting)
    } catch {
      recordEnd(ctx, newMeter(ctx), req.signal.aborted ? 'client-gone' : 'upstream-broken')
      if (req.signal.aborted) return new Response(null, { status: 499 })
      return errorResponse(502, 'lectr_upstream_unreachable', `${ctx.provider.id} broke off its answer.`, record.lectrHeaders(ctx.provider.id))
    }
    if (!whole) return pipe(ctx, piped!, outHeaders)
    const answer = whole
    // Metered after answering (metering does not change the bytes), so the client does not wait for it.
    record.finish(ctx.status, null, null, ctx.ttfbMs, () => meterWhole(ctx, answer))
    return new Response(answer, { status: ctx.status, headers: outHeaders })
  } catch {
    // Not the reading (handled above): a bug, answered and recorded as the handler does.
    return record.failed()
  }
}

/** A whole answer through its meter, as one chunk; a plain JSON answer straight through the JSON reader. */
function meterWhole(ctx: RequestContext, answer: Uint8Array): MeterResult {
  // Without a meter (and its copy of the body) around it: about 1 us less a request (bench/handler-ab.ts, 2026-12-07).
  if (!ctx.provider.wrapMeter && bodyKind(ctx.contentType, ctx.stream) === 'json') return meterJsonBody(answer, ctx.endpoint)
  const meter = newMeter(ctx)
  meter.push(answer)
  return meter.finish(true)
}

/** Piped: each chunk metered as it passes; the event is recorded when the body ends, however it ends. */
function pipe(ctx: RequestContext, body: ReadableStream<Uint8Array>, outHeaders: Headers): Response {
  const { watch } = ctx.proxy
  const waiting = ctx.waiting!
  const meter = newMeter(ctx)
  const idleMs = ctx.proxy.deps.config.streamIdleMs ?? 0
  const metered = meteredBody(body, meter, (outcome) => recordEnd(ctx, meter, outcome), () => watch.abort(waiting), {
    idleMs,
    stalledTail: idleMs > 0 && bodyKind(ctx.contentType, ctx.stream) === 'event-stream' ? () => stalledEvent(ctx.provider.id, idleMs) : null,
  })
  return new Response(metered, { status: ctx.status, headers: outHeaders })
}

/** The meter for this answer, wrapped by its provider when it has its own (Azure's content filter). */
function newMeter(ctx: RequestContext): Meter {
  const { provider, status } = ctx
  // A stream without totals is estimated, input from the body's size; a refusal (4xx, 5xx) consumed no input.
  const inputTokensEstimate = status < 400 ? estimateInputTokens(ctx.bytes?.byteLength ?? 0) : 0
  const plain = createMeter({ provider: provider.id, endpoint: ctx.endpoint, stream: ctx.stream, contentType: ctx.contentType, stripUsageChunk: ctx.stripUsageChunk, inputTokensEstimate })
  return provider.wrapMeter ? provider.wrapMeter(plain) : plain
}

/** Whether an answer can carry a body at all: not to HEAD, and not with 1xx, 204, 205 or 304 (RFC 9110). */
function mayHaveBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 205 && status !== 304
}

/** A non-streaming JSON answer of a declared, modest size (what almost every non-stream request gets): read whole rather than piped. */
function answersWhole(stream: boolean, contentType: string | null, contentLength: string | null): boolean {
  if (!isJsonAnswer(stream, contentType) || contentLength === null) return false
  const length = Number(contentLength)
  return Number.isInteger(length) && length >= 0 && length <= WHOLE_JSON_MAX_BYTES
}

/** A JSON answer to a request that did not ask for a stream (what is read whole when small). */
function isJsonAnswer(stream: boolean, contentType: string | null): boolean {
  return !stream && contentType !== null && contentType.includes('json')
}

/** The SSE error event that ends a stream whose provider went quiet for longer than LECTR_STREAM_IDLE_MS. */
function stalledEvent(provider: ProviderId, idleMs: number): Uint8Array {
  const message = `${provider} sent nothing for ${idleMs} ms mid-stream (LECTR_STREAM_IDLE_MS); the stream was ended.`
  return new TextEncoder().encode(`event: error\ndata: ${errorBody(502, 'lectr_upstream_stalled', message)}\n\n`)
}
