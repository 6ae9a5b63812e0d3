import { isIP } from 'node:net'
import { expandV6 } from '../net/address'

/**
 * Why a registry URL is refused, or null when it may be fetched. https anywhere; plain http only to a loopback
 * address and only with LECTR_ALLOW_PRIVATE_UPSTREAMS=1 (a registry sets prices and upstream base URLs, so a
 * document readable or writable on the path would let anyone in between reprice or redirect the traffic).
 * The message never quotes the URL's userinfo or query (they may hold a token).
 *
 * @example registryUrlProblem('https://prices.example.com/registry.json', false) // null
 * @example registryUrlProblem('http://127.0.0.1:8000/r.json', false) // 'plain http ... LECTR_ALLOW_PRIVATE_UPSTREAMS=1 ...'
 */
export function registryUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return 'expected an https URL, got something that is not a URL'
  }
  const shown = JSON.stringify(redactUrl(url.href))
  if (url.protocol === 'https:') return null
  if (url.protocol !== 'http:') return `expected an https URL, got ${shown}`
  if (!isLoopbackHost(url.hostname)) {
    return `${shown} is plain http: use https (plain http is allowed only to a loopback address, with LECTR_ALLOW_PRIVATE_UPSTREAMS=1)`
  }
  if (!allowPrivate) return `${shown} is plain http: use https, or set LECTR_ALLOW_PRIVATE_UPSTREAMS=1 to allow plain http to loopback`
  return null
}

/**
 * The URL as it may be shown and logged: no userinfo, every query value replaced, no fragment.
 * @example redactUrl('https://bot:pw@host/r.json?token=abc&v=2') // 'https://host/r.json?token=***&v=***'
 */
export function redactUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return '(not a URL)'
  }
  const query = url.search
    ? '?' + url.search.slice(1).split('&').map((pair) => `${pair.split('=')[0]}${pair.includes('=') ? '=***' : ''}`).join('&')
    : ''
  return `${url.protocol}//${url.host}${url.pathname}${query}`
}

/** What a message about `raw` may contain: the URL, its userinfo and its query values replaced by their redaction. */
export function redactIn(text: string, raw: string): string {
  let out = text.split(raw).join(redactUrl(raw))
  try {
    const url = new URL(raw)
    const secrets = [url.username, url.password, url.search.slice(1), ...[...url.searchParams.values()]]
    for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***')
  } catch {
    // not a URL: nothing more to hide than the text itself
  }
  return out
}

/** `localhost`, 127.0.0.0/8 or ::1 (also written as an IPv4-mapped address). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const kind = isIP(host)
  if (kind === 4) return host.startsWith('127.')
  if (kind !== 6) return false
  const g = expandV6(host)
  if (!g) return false
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true
  return g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff && g[6]! >> 8 === 127
}
