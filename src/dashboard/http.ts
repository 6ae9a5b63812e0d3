/**
 * Responses for the dashboard: HTML pages and fragments, redirects, and the security headers every dashboard
 * response carries.
 */

/** No inline script or style, nothing from another origin, never framed. htmx and app.js are files under /assets. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
})

/**
 * Adds the security headers to a response (and `Cache-Control: no-store` unless it says otherwise, so pages with
 * CSRF tokens and org data are never cached).
 *
 * @example secure(new Response('hi')).headers.get('x-frame-options') // 'DENY'
 */
export function secure(res: Response): Response {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.headers.set(name, value)
  if (!res.headers.has('cache-control')) res.headers.set('cache-control', 'no-store')
  return res
}

/** An HTML page or fragment. */
export function htmlResponse(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return secure(new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } }))
}

/** 303 See Other: after a POST the browser GETs `location` (post/redirect/get). */
export function redirect(location: string, headers: Record<string, string> | Headers = {}): Response {
  const h = new Headers(headers)
  h.set('location', location)
  return secure(new Response(null, { status: 303, headers: h }))
}

/** A plain-text answer (401/403 for htmx and scripts, which show no page). */
export function textResponse(body: string, status: number, headers: Record<string, string> = {}): Response {
  return secure(new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } }))
}

/** True for requests htmx made (it sends `HX-Request: true`): they get a fragment, not a page. */
export function isHtmx(request: Request): boolean {
  return request.headers.get('hx-request') === 'true'
}

/** True when the browser reached Lectr over https, directly or through a TLS-terminating proxy. */
export function isHttps(request: Request): boolean {
  if (new URL(request.url).protocol === 'https:') return true
  const forwarded = request.headers.get('x-forwarded-proto')
  return forwarded !== null && forwarded.split(',')[0]!.trim().toLowerCase() === 'https'
}
