/**
 * Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are never forwarded, in either direction.
 * `host` is set by fetch for the upstream; `content-length` is recomputed because Lectr may rewrite the body.
 */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length',
])

/**
 * Headers for the upstream request: the client's own, less hop-by-hop ones, those named in `Connection`,
 * Lectr's `x-lectr-*`, and `accept-encoding` (Lectr reads the body to meter usage, so it asks for identity).
 */
export function upstreamRequestHeaders(incoming: Headers): Headers {
  const out = new Headers()
  const named = connectionNamed(incoming)
  incoming.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || name.startsWith('x-lectr-') || name === 'accept-encoding' || name === 'cookie') return
    if (named && named.has(name)) return
    out.append(name, value)
  })
  return out
}

/**
 * Headers for the client's answer: the provider's, less hop-by-hop ones. `content-encoding` and `content-length`
 * go too: fetch has already decoded the body, and Lectr may remove a usage chunk from a stream.
 */
export function clientResponseHeaders(upstream: Headers): Headers {
  const out = new Headers()
  const named = connectionNamed(upstream)
  upstream.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || name === 'content-encoding') return
    if (named && named.has(name)) return
    out.append(name, value)
  })
  return out
}

function connectionNamed(h: Headers): Set<string> | null {
  const c = h.get('connection')
  if (!c) return null
  return new Set(c.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
}
