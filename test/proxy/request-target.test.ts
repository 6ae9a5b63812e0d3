import { describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { requestTarget } from '../../src/proxy/request-target'

/** What `new URL` reads from the same string: the reference `requestTarget` must agree with. */
const byUrl = (u: string) => {
  const parsed = new URL(u)
  return { pathname: parsed.pathname, search: parsed.search }
}

describe('requestTarget', () => {
  const urls = [
    'http://127.0.0.1:8080/v1/chat/completions',
    'http://h/v1/chat/completions?api-version=2024-10-21',
    'http://h/v1/x?',
    'http://h/v1/x?#frag',
    'http://h/v1/x#frag?not-a-query',
    'http://h/v1/x?a=1#frag',
    'http://h/v1/x?a=%22b%22&c=%3Cd%3E&e=/f?g',
    'http://h/v1//x',
    'http://h/v1/%C3%A9?q=%C3%A9',
    'https://[::1]:9000/v1/models/gpt-4.1',
    'http://h/',
    'http://h',
    'http://h?x=1',
  ]
  for (const u of urls) test(`reads ${u} as new URL does`, () => expect(requestTarget(u)).toEqual(byUrl(u)))

  test('agrees with new URL on what Bun serves as req.url, for request targets sent raw', async () => {
    const seen: string[] = []
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => (seen.push(req.url), new Response('ok')) })
    try {
      const targets = ['/v1/a/../b', '/v1/%2e%2e/x', '/v1/x?a="b"&c=<d>', '/v1/x?q#f', '/v1/x\\y', '/v1/\u00e9?q=\u00e9', 'http://other.example/v1/x', '/v1/./x?']
      for (const t of targets) {
        await new Promise<void>((resolve) => {
          const c = connect(server.port!, '127.0.0.1', () => c.write(`GET ${t} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`))
          c.on('data', () => {})
          c.on('close', () => resolve())
        })
      }
      expect(seen.length).toBe(targets.length)
      for (const u of seen) expect(requestTarget(u)).toEqual(byUrl(u))
    } finally {
      server.stop(true)
    }
  })
})
