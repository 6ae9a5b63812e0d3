/**
 * The files in `public/`, embedded into the build (and the compiled binary) as text, each with a content hash.
 * Pages link them as `/assets/<name>?v=<hash>`, so the server can tell browsers to keep them for a year: a
 * changed file gets a new URL.
 *
 * @example
 * ASSET_FILES['app.css'].url // '/assets/app.css?v=3f9a8c2e71d0'
 */
import appCss from '../public/app.css' with { type: 'text' }
import appJs from '../public/app.js' with { type: 'text' }
import favicon from '../public/favicon.svg' with { type: 'text' }
import htmx from '../public/htmx.min.js' with { type: 'text' }

export interface Asset {
  name: string
  body: string
  contentType: string
  /** first 12 hex digits of the SHA-256 of the body */
  hash: string
  /** the URL pages use, with the hash as a version query */
  url: string
}

function asset(name: string, body: string, contentType: string): Asset {
  const hash = new Bun.CryptoHasher('sha256').update(body).digest('hex').slice(0, 12)
  return { name, body, contentType, hash, url: `/assets/${name}?v=${hash}` }
}

export const ASSET_FILES: Readonly<Record<string, Asset>> = Object.freeze({
  'htmx.min.js': asset('htmx.min.js', htmx as unknown as string, 'text/javascript; charset=utf-8'),
  'app.js': asset('app.js', appJs as unknown as string, 'text/javascript; charset=utf-8'),
  'app.css': asset('app.css', appCss as unknown as string, 'text/css; charset=utf-8'),
  'favicon.svg': asset('favicon.svg', favicon as unknown as string, 'image/svg+xml'),
})
