/** Checks on what a browser sends: where a POST came from, where a redirect may go, what a form holds. */

/**
 * False when the request says it came from another site: `Sec-Fetch-Site` other than same-origin (or none, a
 * person typing the URL), or an `Origin` whose host is not the host the request was sent to. Browsers send at
 * least one of the two on every POST; a client sending neither (curl) must still pass the CSRF token check.
 */
export function fromSameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site')
  if (site !== null && site !== 'same-origin' && site !== 'none') return false
  const origin = request.headers.get('origin')
  if (origin === null) return true
  let originHost: string
  try {
    const url = new URL(origin)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
    originHost = url.host.toLowerCase()
  } catch {
    return false // includes `Origin: null` (sandboxed frames, some redirects)
  }
  const hosts = [request.headers.get('host'), request.headers.get('x-forwarded-host')?.split(',')[0], new URL(request.url).host]
  return hosts.some((h) => h && normaliseHost(h) === originHost)
}

/** `Host` without the default port, lower-case, so `example.com:443` matches `https://example.com`. */
function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/:(80|443)$/, '')
}

/** Any origin would do: only a path is accepted, and only the path and query are returned. */
const PLACEHOLDER_ORIGIN = 'http://lectr.invalid'
/** Pages a sign-in must not go on to: sign-in itself, and the sign-outs (a POST anyway). */
const NOT_AFTER_SIGNIN: ReadonlySet<string> = new Set(['/signin', '/signout', '/signout/everywhere'])

/**
 * One absolute path on this origin: starts with a single `/`, no backslash (browsers read `\` as `/`), no
 * control character (browsers drop tabs and newlines, which can join `/` `/` into `//`).
 */
function isLocalPath(s: string): boolean {
  return s.startsWith('/') && !s.startsWith('//') && !/[\\\u0000-\u001f\u007f]/.test(s)
}

/**
 * A redirect target from a `next` parameter: only a path on this site (`/models?range=7d`), normalised the way
 * a browser would (dot segments collapsed, `%2e` included), and checked again after that and after decoding.
 * Never another site (`//evil.example`, `/.//evil.example`, `/%2e//evil`, `/\evil`, `https://...`), never a
 * path with `//`, a backslash or a control character even percent-encoded, never sign-in or sign-out. Null
 * when in doubt: the caller goes to `/`.
 *
 * @example safeNext('/events?provider=openai') // '/events?provider=openai'
 * @example safeNext('/.//evil.example/x')      // null (the browser would read //evil.example/x)
 */
export function safeNext(raw: string | null | undefined): string | null {
  if (!raw || raw.length > 2048 || !isLocalPath(raw)) return null
  let url: URL
  try {
    url = new URL(raw, PLACEHOLDER_ORIGIN)
  } catch {
    return null
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return null
  const path = url.pathname
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return null
  }
  // After collapsing, `/.//x` and `/x/..//y` are `//...`. After decoding, `%5c`, `%2f%2f`, `%0a` and `a%2f..%2fb`
  // show: a proxy or browser further on might decode them, and no dashboard path needs them.
  for (const p of [path, decoded]) {
    if (!isLocalPath(p) || p.includes('//') || /(^|\/)\.\.?(\/|$)/.test(p)) return null
  }
  if (NOT_AFTER_SIGNIN.has(path.replace(/(.)\/+$/, '$1'))) return null
  return path + url.search
}

/** Form fields are short; anything bigger than this is not from our forms. */
export const FORM_LIMIT_BYTES = 64 * 1024

/**
 * Reads an `application/x-www-form-urlencoded` body (what our forms and htmx send), up to `limit` bytes.
 * Null when the body is too large or another type.
 */
export async function readForm(request: Request, limit = FORM_LIMIT_BYTES): Promise<URLSearchParams | null> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') return null
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > limit) return null
  if (!request.body) return new URLSearchParams()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}
