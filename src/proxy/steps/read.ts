import { cutTo, LIMITS } from '../../limits'
import { parseJsonObject, readBodyWithLimit, type BodyRead } from '../body'
import type { Refusal, RequestContext } from '../context'
import { requiresJson } from '../endpoint'

/** What a GET or HEAD has: no body, and nothing to wait for. */
const NO_BODY: BodyRead = { ok: true, bytes: null }

/** Step 2a. The body, within LECTR_MAX_BODY_BYTES and LECTR_BODY_TIMEOUT_MS (see readBodyWithLimit); none for GET and HEAD. */
export async function readBody(ctx: RequestContext): Promise<BodyRead> {
  if (ctx.req.method === 'GET' || ctx.req.method === 'HEAD') return NO_BODY
  ctx.record.readStarts()
  return readBodyWithLimit(ctx.req, ctx.proxy.deps.config.maxBodyBytes, ctx.proxy.deps.config.bodyTimeoutMs)
}

/**
 * Step 2b. What was read: refused when late or too large; otherwise its JSON (required for the known endpoints),
 * `model` and `stream`, kept on the context and the event.
 */
export function takeBody(ctx: RequestContext, read: BodyRead): Refusal | null {
  ctx.record.readEnds()
  const { config } = ctx.proxy.deps
  if (!read.ok && 'timedOut' in read) {
    return { status: 408, code: 'lectr_body_timeout', message: `The request body did not arrive within ${config.bodyTimeoutMs} ms (LECTR_BODY_TIMEOUT_MS).`, close: true }
  }
  // Streams may go quiet for minutes (reasoning models); Bun's idle timeout must not cut them.
  ctx.server?.timeout(ctx.req, 0)
  if (!read.ok) {
    return { status: 413, code: 'lectr_body_too_large', message: `Request body is larger than the limit of ${config.maxBodyBytes} bytes (LECTR_MAX_BODY_BYTES).` }
  }
  const bytes = read.bytes
  ctx.bytes = bytes
  let json: Record<string, unknown> | null = null
  const isJson = (ctx.incoming.get('content-type') ?? '').includes('json')
  if (requiresJson(ctx.endpoint) && ctx.req.method === 'POST') {
    json = parseJsonObject(bytes)
    if (!json) return { status: 400, code: 'lectr_invalid_json', message: `The request body must be a JSON object (${ctx.endpoint}).` }
  } else if (isJson && bytes) {
    json = parseJsonObject(bytes)
  }
  ctx.json = json
  const model = typeof json?.model === 'string' ? json.model : null
  const stream = json?.stream === true
  ctx.model = model
  ctx.stream = stream
  const e = ctx.record.event
  e.model = model === null ? null : cutTo(model, LIMITS.model)
  e.stream = stream
  return null
}
