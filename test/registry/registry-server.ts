import type { Server } from 'bun'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const builtinFile = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))

/** The built-in registry under another version, with `acme-large` (groq) at the given input price per 1M tokens. */
export function registryDoc(version: string, acmeInput = 7): string {
  return JSON.stringify({ ...builtinFile, version, models: [...builtinFile.models, { id: 'acme-large', provider: 'groq', price: { input: acmeInput, output: 9 } }] })
}

/** How the server answers a GET of the document. */
export type Mode =
  | 'serve' // the document, with validators, 304 when they match
  | 'error' // 500
  | 'garbage' // 200, not JSON
  | 'schema' // 200, JSON that is not a registry
  | 'hang' // headers, a first byte, then nothing
  | 'huge' // 200, a body past any sensible cap, sent without Content-Length
  | 'to-other-scheme' // 302 to an https URL of the same host

export interface Seen {
  url: URL
  headers: Headers
}

/**
 * A registry document on 127.0.0.1, port 0, that a test changes, breaks and repairs. It sends an ETag and a
 * Last-Modified (either can be switched off) and honours If-None-Match / If-Modified-Since with a 304.
 */
export class RegistryServer {
  doc: string
  mode: Mode = 'serve'
  sendEtag = true
  sendLastModified = true
  readonly seen: Seen[] = []
  private modified = new Date('2026-11-01T00:00:00Z')
  private server: Server<unknown>

  constructor(doc: string) {
    this.doc = doc
    this.server = Bun.serve({ hostname: '127.0.0.1', port: 0, idleTimeout: 0, fetch: (req) => this.answer(req) })
  }

  /** A new document (its ETag and Last-Modified change with it). */
  publish(doc: string): void {
    this.doc = doc
    this.modified = new Date(this.modified.getTime() + 60_000)
  }

  get etag(): string {
    return `"${Bun.hash(this.doc).toString(16)}"`
  }

  url(path = '/registry.json'): string {
    return `http://127.0.0.1:${this.server.port}${path}`
  }

  stop(): void {
    this.server.stop(true)
  }

  private answer(req: Request): Response {
    const url = new URL(req.url)
    this.seen.push({ url, headers: req.headers })
    switch (this.mode) {
      case 'error':
        return new Response('upstream exploded', { status: 500 })
      case 'garbage':
        return new Response('<html>maintenance</html>', { headers: { 'content-type': 'text/html' } })
      case 'schema':
        return Response.json({ version: 'broken', providers: [], models: [{ id: 1 }] })
      case 'hang':
        return new Response(new ReadableStream({ pull: async (c) => { c.enqueue(new TextEncoder().encode('{')); await new Promise(() => {}) } }))
      case 'huge': {
        let sent = 0
        const chunk = new Uint8Array(64 * 1024).fill(0x20)
        return new Response(new ReadableStream({ pull: (c) => { if ((sent += chunk.length) > 64 * 1024 * 1024) c.close(); else c.enqueue(chunk) } }))
      }
      case 'to-other-scheme':
        return new Response(null, { status: 302, headers: { location: `https://127.0.0.1:${this.server.port}${url.pathname}` } })
      case 'serve': {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (this.sendEtag) headers.etag = this.etag
        if (this.sendLastModified) headers['last-modified'] = this.modified.toUTCString()
        const inm = req.headers.get('if-none-match')
        const ims = req.headers.get('if-modified-since')
        const fresh = this.sendEtag && inm !== null ? inm === this.etag : this.sendLastModified && ims !== null && new Date(ims) >= this.modified
        if (fresh) return new Response(null, { status: 304, headers })
        return new Response(this.doc, { headers })
      }
    }
  }
}
