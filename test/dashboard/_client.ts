/**
 * A small browser stand-in for the dashboard tests: keeps cookies, never follows redirects, sends forms the way a
 * browser does (urlencoded, with an `Origin` header) and remembers the last CSRF token a page carried. It talks
 * to a real Lectr over a socket (`fetch`) or to an app in memory (`app.handle`).
 */
import { ADMIN_TOKEN } from '../helpers/lectr'

export type Send = (request: Request) => Promise<Response>

export class Client {
  readonly cookies = new Map<string, string>()
  /** the `_csrf` of the last page read with `text()` */
  csrf = ''

  constructor(
    readonly base: string,
    private send: Send = (r) => fetch(r),
  ) {}

  /** A client on a real server. */
  static http(url: string): Client {
    return new Client(url)
  }

  /** A client for an app in memory. */
  static memory(app: { handle(r: Request): Promise<Response> }): Client {
    return new Client('http://lectr.test', (r) => app.handle(r))
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private keep(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size && !headers.has('cookie')) headers.set('cookie', this.cookieHeader())
    return this.keep(await this.send(new Request(this.base + path, { ...init, headers, redirect: 'manual' })))
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers })
  }

  /** GET and read the body, keeping the page's CSRF token. */
  async page(path: string, headers: Record<string, string> = {}): Promise<{ res: Response; html: string }> {
    const res = await this.get(path, headers)
    const html = await res.text()
    const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1]
    if (token) this.csrf = token
    return { res, html }
  }

  /** POST a form like a browser: urlencoded, `Origin` set, the remembered `_csrf` added unless given. */
  post(path: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields })
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(this.base).origin, 'sec-fetch-site': 'same-origin', ...headers },
      body,
    })
  }

  /** Signs in through the form (GET /signin for its token, then POST); returns the POST's answer. */
  async signIn(token = ADMIN_TOKEN, next?: string): Promise<Response> {
    await this.page('/signin')
    return this.post('/signin', { token, ...(next ? { next } : {}) })
  }
}

/** A form body as a browser sends it, for tests that build requests by hand. */
export function formBody(fields: Record<string, string>): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() }
}
