/**
 * The path and query of a request URL as Bun hands it to the server (`req.url`), without building a `URL`.
 *
 * Bun serialises `req.url` with the WHATWG URL parser already (dot segments resolved, unsafe characters
 * percent-encoded), so parsing it a second time would only cost time: this reads the same `pathname` and `search`
 * that `new URL(req.url)` gives, by position. A `#` can only start the fragment there, which is not part of either.
 *
 * @example requestTarget('http://127.0.0.1:8080/v1/chat/completions?api-version=1')
 * // { pathname: '/v1/chat/completions', search: '?api-version=1' }
 */
export function requestTarget(url: string): { pathname: string; search: string } {
  const start = authorityEnd(url)
  let end = url.indexOf('#', start)
  if (end < 0) end = url.length
  let query = url.indexOf('?', start)
  if (query < 0 || query > end) query = end
  return {
    pathname: query > start ? url.slice(start, query) : '/',
    // `new URL` gives an empty search for a bare `?`
    search: end - query > 1 ? url.slice(query, end) : '',
  }
}

/**
 * Where the scheme and authority of an absolute URL end: at the first `/`, `?` or `#` after `://` (or the URL's length).
 * @example 'https://host:8443/v1?x=1'.slice(0, authorityEnd('https://host:8443/v1?x=1')) // 'https://host:8443'
 */
export function authorityEnd(url: string): number {
  const scheme = url.indexOf('://')
  let end = scheme < 0 ? 0 : scheme + 3
  while (end < url.length && url[end] !== '/' && url[end] !== '?' && url[end] !== '#') end++
  return end
}
