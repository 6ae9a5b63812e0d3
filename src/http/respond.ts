import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** A JSON answer. */
export function json(data: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** An admin API error: `{error: {message, code, problems?}}`, the same shape as the proxy's own errors. */
export function apiError(status: number, code: string, message: string, problems?: string[]): Response {
  return json({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code, ...(problems ? { problems } : {}) } }, status)
}

/** Every problem TypeBox finds, as `path: message` lines (`/endpoint: Expected string`). */
export function problemsOf(schema: TSchema, value: unknown): string[] {
  const out: string[] = []
  for (const e of Value.Errors(schema, value)) out.push(`${e.path || '/'}: ${e.message}`)
  return out
}

/** Reads a JSON body; null (with the reason) when it is not JSON. */
export async function readJson(req: Request, limit = 1 << 20): Promise<{ ok: true; value: unknown } | { ok: false; problem: string }> {
  const text = await req.text()
  if (text.length > limit) return { ok: false, problem: `body larger than ${limit} bytes` }
  if (!text.trim()) return { ok: false, problem: 'body is empty; send a JSON object' }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, problem: 'body is not valid JSON' }
  }
}

/** `404 lectr_not_found` for an org id the admin API does not know. */
export function orgNotFound(org: string): Response {
  return apiError(404, 'lectr_not_found', `No org "${org}".`)
}
