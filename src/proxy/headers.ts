/**
 * Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are never forwarded, in either direction.
 * `host` is set by fetch for the upstream; `content-length` is recomputed because Lectr may rewrite the body.
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length',
])

/** Header names and values as a plain object: what fetch and Response take with the least work. */
export type HeaderRecord = Record<string, string>

// Bun's `Headers.toJSON` gives every header in one native call (names lower-case, repeated ones joined with ", ",
// `set-cookie` as an array), far cheaper than a callback per header.
type HeaderJson = Record<string, string | string[]>
const toJson = (h: Headers): HeaderJson => (h as unknown as { toJSON(): HeaderJson }).toJSON()

/**
 * Headers for the upstream request: the client's own, less hop-by-hop ones, those named in `Connection`,
 * Lectr's `x-lectr-*`, `cookie`, and `accept-encoding` (Lectr reads the body to meter usage, so it asks for identity).
 */
export function upstreamRequestHeaders(incoming: Headers): HeaderRecord {
  const all = toJson(incoming)
  const named = connectionNamed(all.connection)
  const out: HeaderRecord = {}
  for (const name in all) {
    if (HOP_BY_HOP.has(name) || name.startsWith('x-lectr-') || name === 'accept-encoding' || name === 'cookie') continue
    if (named && named.has(name)) continue
    const value = all[name]!
    out[name] = typeof value === 'string' ? value : value.join(', ')
  }
  return out
}

/**
 * Headers for the client's answer: the provider's, less hop-by-hop ones, plus `extra` (Lectr's own).
 * `content-encoding` and `content-length` go too: fetch has already decoded the body, and Lectr may remove a usage
 * chunk from a stream. Cookies stay separate headers, which only a `Headers` object can carry.
 */
export function clientResponseHeaders(upstream: Headers, extra: HeaderRecord): HeaderRecord | Headers {
  const all = toJson(upstream)
  const named = connectionNamed(all.connection)
  const out: HeaderRecord = {}
  let cookies: string[] | null = null
  for (const name in all) {
    if (HOP_BY_HOP.has(name) || name === 'content-encoding') continue
    if (named && named.has(name)) continue
    const value = all[name]!
    if (typeof value === 'string') out[name] = value
    else cookies = value
  }
  for (const name in extra) out[name] = extra[name]!
  if (!cookies) return out
  const headers = new Headers(out)
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  return headers
}

function connectionNamed(connection: string | string[] | undefined): Set<string> | null {
  if (!connection) return null
  const list = typeof connection === 'string' ? connection : connection.join(',')
  return new Set(list.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
}
