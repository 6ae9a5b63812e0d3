/** How long an origin that refused HTTP/2 is sent HTTP/1.1 before it is offered HTTP/2 again. */
const RETRY_MS = 60 * 60 * 1000
/** At most this many such origins are remembered (the oldest is forgotten first). */
const MAX_ORIGINS = 1024

export type UpstreamProtocol = 'h2' | 'http1.1'

/**
 * Which HTTP version to ask fetch for, per upstream origin, when HTTP/2 is switched on (`LECTR_UPSTREAM_HTTP2`).
 * An https origin is asked for HTTP/2 (`protocol: 'h2'`: ALPN offers only h2). One that does not select it fails
 * the request before anything is sent: with `HTTP2Unsupported` when it ignores ALPN, or with a failed TLS handshake
 * when it answers with a `no_application_protocol` alert (Node and Go servers do). The request is then sent as
 * HTTP/1.1, and an origin that answered that way is remembered and sent HTTP/1.1 for an hour. Plain http gets no
 * protocol: Bun speaks HTTP/2 only over TLS.
 *
 * An origin is named by its TLS server name when there is one (Azure connections are pinned to an address, which
 * several resources may share), else by the URL's scheme, host and port.
 *
 * @example
 * const origins = createHttp2Origins()
 * origins.protocolFor('https://api.openai.com/v1/chat/completions') // 'h2'
 * origins.refused('https://llm.internal:8443/v1/chat/completions')   // from now on 'http1.1' for that origin
 */
export function createHttp2Origins(now: () => number = Date.now) {
  const http1Since = new Map<string, number>()
  return {
    protocolFor(url: string, serverName?: string): UpstreamProtocol | undefined {
      if (!url.startsWith('https://')) return undefined
      if (http1Since.size === 0) return 'h2'
      const origin = nameOf(url, serverName)
      const since = http1Since.get(origin)
      if (since === undefined) return 'h2'
      if (now() - since < RETRY_MS) return 'http1.1'
      http1Since.delete(origin)
      return 'h2'
    },
    /** The origin of `url` did not select HTTP/2 (and answered over HTTP/1.1). */
    refused(url: string, serverName?: string): void {
      const origin = nameOf(url, serverName)
      http1Since.delete(origin)
      if (http1Since.size >= MAX_ORIGINS) http1Since.delete(http1Since.keys().next().value!)
      http1Since.set(origin, now())
    },
  }
}

/**
 * Whether a fetch that asked for HTTP/2 failed before the request went out, in a way that HTTP/1.1 may not:
 * the upstream did not select h2 (`HTTP2Unsupported`), or ended the TLS handshake (`EPROTO`, the answer of a server
 * whose ALPN list has no h2). Certificate errors have codes of their own and are not retried.
 */
export function http2Refused(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return code === 'HTTP2Unsupported' || code === 'EPROTO'
}

/** What an origin is remembered by: its TLS server name when it has one (see `createHttp2Origins`). */
function nameOf(url: string, serverName: string | undefined): string {
  return serverName ?? originOf(url)
}

/** `https://host:port` of an absolute URL. */
export function originOf(url: string): string {
  return new URL(url).origin
}
