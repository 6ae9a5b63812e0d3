/** How long an origin that refused HTTP/2 is sent HTTP/1.1 before it is offered HTTP/2 again. */
const RETRY_MS = 60 * 60 * 1000
/** At most this many such origins are remembered (the oldest is forgotten first). */
const MAX_ORIGINS = 1024

export type UpstreamProtocol = 'h2' | 'http1.1'

/**
 * Which HTTP version to ask fetch for, per upstream origin, when HTTP/2 is switched on (`LECTR_UPSTREAM_HTTP2`).
 * An https origin is asked for HTTP/2 (`protocol: 'h2'`: ALPN offers only h2); one that does not select it fails
 * the request with `HTTP2Unsupported` before anything is sent, and is then remembered and sent HTTP/1.1 for an
 * hour. Plain http gets no protocol: Bun speaks HTTP/2 only over TLS.
 *
 * @example
 * const origins = createHttp2Origins()
 * origins.protocolFor('https://api.openai.com/v1/chat/completions') // 'h2'
 * origins.refused('https://llm.internal:8443/v1/chat/completions')   // from now on 'http1.1' for that origin
 */
export function createHttp2Origins(now: () => number = Date.now) {
  const http1Since = new Map<string, number>()
  return {
    protocolFor(url: string): UpstreamProtocol | undefined {
      if (!url.startsWith('https://')) return undefined
      if (http1Since.size === 0) return 'h2'
      const origin = originOf(url)
      const since = http1Since.get(origin)
      if (since === undefined) return 'h2'
      if (now() - since < RETRY_MS) return 'http1.1'
      http1Since.delete(origin)
      return 'h2'
    },
    /** The origin of `url` did not select HTTP/2. */
    refused(url: string): void {
      const origin = originOf(url)
      http1Since.delete(origin)
      if (http1Since.size >= MAX_ORIGINS) http1Since.delete(http1Since.keys().next().value!)
      http1Since.set(origin, now())
    },
  }
}

/** Whether a fetch failed because the upstream did not select HTTP/2 (nothing was sent, so it can be sent again). */
export function isHttp2Unsupported(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'HTTP2Unsupported'
}

/** `https://host:port` of an absolute URL, without parsing it whole. */
function originOf(url: string): string {
  const slash = url.indexOf('/', 8)
  return slash < 0 ? url : url.slice(0, slash)
}
