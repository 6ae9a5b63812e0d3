/** The embedded assets: served from memory, with a year of caching at their hashed URL and an ETag otherwise. */
import { describe, expect, test } from 'bun:test'
import { ASSET_FILES } from '../../views/assets'
import { ASSETS } from '../../views/layout'
import { memoryLectr } from './_app'

describe('assets', () => {
  const lectr = memoryLectr()
  const get = (path: string, headers: Record<string, string> = {}) => lectr.app.handle(new Request(`http://lectr.test${path}`, { headers }))

  for (const asset of Object.values(ASSET_FILES)) {
    test(`${asset.name}: the bytes of public/${asset.name}, cached for a year at ${asset.url}`, async () => {
      const res = await get(asset.url)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe(asset.contentType)
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toBe(await Bun.file(`${import.meta.dir}/../../public/${asset.name}`).text())
      expect(asset.hash).toBe(new Bun.CryptoHasher('sha256').update(await Bun.file(`${import.meta.dir}/../../public/${asset.name}`).text()).digest('hex').slice(0, 12))
    })
  }

  test('the pages link the hashed URLs; no sign-in needed for assets', async () => {
    expect(Object.values(ASSETS).sort()).toEqual(Object.values(ASSET_FILES).map((a) => a.url).sort())
    const signin = await (await get('/signin')).text()
    for (const url of Object.values(ASSETS)) expect(signin).toContain(url)
  })

  test('without the current hash: revalidate with the ETag (304)', async () => {
    const res = await get('/assets/app.css')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const etag = res.headers.get('etag')!
    expect((await get('/assets/app.css?v=old', { 'if-none-match': etag })).status).toBe(304)
    expect((await get('/assets/app.css', { 'if-none-match': '"other"' })).status).toBe(200)
  })

  test('only the embedded files: no path traversal, no prototype keys', async () => {
    for (const path of ['/assets/nope.js', '/assets/..%2Fsrc%2Fmain.ts', '/assets/%2E%2E%2Fpackage.json', '/assets/constructor', '/assets/__proto__', '/assets/VENDORED.md']) {
      expect((await get(path)).status).toBe(404)
    }
  })
})
