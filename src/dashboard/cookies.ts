/** Reading and writing the dashboard's cookies (RFC 6265). */

/** The `Cookie` header as a map; the first of duplicate names wins, undecodable values are skipped. */
export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    let value = part.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (!name || out.has(name)) continue
    try {
      out.set(name, decodeURIComponent(value))
    } catch {
      // not ours: a malformed cookie is ignored, not an error
    }
  }
  return out
}

export interface CookieOptions {
  path: string
  secure: boolean
  /** seconds; absent: a browser-session cookie; 0: delete it */
  maxAge?: number
}

/**
 * A `Set-Cookie` value: always HttpOnly (no script reads it) and SameSite=Strict (no other site sends it).
 *
 * @example setCookie('lectr_session', 'abc', { path: '/', secure: true })
 * // 'lectr_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure'
 */
export function setCookie(name: string, value: string, o: CookieOptions): string {
  let cookie = `${name}=${encodeURIComponent(value)}; Path=${o.path}; HttpOnly; SameSite=Strict`
  if (o.maxAge !== undefined) cookie += `; Max-Age=${o.maxAge}`
  if (o.secure) cookie += '; Secure'
  return cookie
}
