import { Elysia } from 'elysia'
import { ASSET_FILES } from '../../views/assets'
import { secure, textResponse } from './http'

const YEAR_S = 365 * 24 * 3600

/**
 * GET /assets/:name: htmx, app.js, app.css and the icon, embedded in the binary (views/assets.ts). A URL with the
 * file's current hash (`?v=...`, what the pages link) may be kept for a year; any other gets an ETag to revalidate.
 *
 * @example await app.handle(new Request('http://x/assets/app.css?v=' + ASSET_FILES['app.css'].hash))
 */
export function assetRoutes() {
  return new Elysia().get('/assets/:name', ({ params, request }) => {
    const asset = Object.hasOwn(ASSET_FILES, params.name) ? ASSET_FILES[params.name] : undefined
    if (!asset) return textResponse('No such asset.', 404)
    const etag = `"${asset.hash}"`
    const versioned = new URL(request.url).searchParams.get('v') === asset.hash
    const headers = {
      'content-type': asset.contentType,
      etag,
      'cache-control': versioned ? `public, max-age=${YEAR_S}, immutable` : 'no-cache',
    }
    const match = request.headers.get('if-none-match')
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return secure(new Response(null, { status: 304, headers }))
    }
    return secure(new Response(asset.body, { headers }))
  })
}
