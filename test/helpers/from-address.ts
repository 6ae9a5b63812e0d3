/**
 * Requests sent from a chosen local address (127.0.0.2, 127.0.0.3 ...: all of 127/8 is loopback on Linux), so a
 * test can be several clients as the server sees them (`server.requestIP`). `fetch` cannot choose its source
 * address; node:http can (`localAddress`).
 */
import { request as httpRequest } from 'node:http'

/** A `fetch`-like sender whose connections come from `localAddress`. Never follows redirects. */
export function sendFrom(localAddress: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url)
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : null
    const headers: Record<string, string> = {}
    request.headers.forEach((v, k) => (headers[k] = v))
    if (body) headers['content-length'] = String(body.length)
    return new Promise<Response>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: request.method, headers, localAddress, agent: false },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const out = new Headers()
            for (const [k, v] of Object.entries(res.headers)) {
              for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) out.append(k, one)
            }
            const status = res.statusCode ?? 0
            resolve(new Response(status === 204 || status === 304 || chunks.length === 0 ? null : Buffer.concat(chunks), { status, headers: out }))
          })
        },
      )
      req.on('error', reject)
      req.end(body ?? undefined)
    })
  }
}

/** `fetch(url, init)` from `localAddress`. */
export function fetchFrom(localAddress: string, url: string, init: RequestInit = {}): Promise<Response> {
  return sendFrom(localAddress)(new Request(url, init))
}
