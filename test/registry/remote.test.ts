import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { builtinRegistry } from '../../src/registry/load'
import { RegistryStore, type RegistryStoreOptions } from '../../src/registry/store'
import { RegistryServer, registryDoc } from './registry-server'

const builtin = builtinRegistry()
const servers: RegistryServer[] = []
const stores: RegistryStore[] = []
afterEach(() => stores.splice(0).forEach((store) => store.close()))
afterAll(() => servers.forEach((server) => server.stop()))

function serve(doc = registryDoc('remote-1')): RegistryServer {
  const server = new RegistryServer(doc)
  servers.push(server)
  return server
}

function newStore(href: string, url: Partial<NonNullable<RegistryStoreOptions['url']>> = {}): { store: RegistryStore; logs: string[] } {
  const logs: string[] = []
  const store = new RegistryStore({ url: { href, refreshMinutes: 360, allowPrivate: true, timeoutMs: 2000, ...url }, log: (line) => logs.push(line) })
  stores.push(store)
  return { store, logs }
}

const acmeInput = (store: RegistryStore) => store.current().models.get('acme-large')?.price?.input

describe('a registry at a URL', () => {
  test('start fetches it: in force, its URL as the source, checked and next check shown', async () => {
    const server = serve()
    const { store } = newStore(server.url())
    expect(store.current()).toBe(builtin) // nothing fetched before start()
    await store.start()
    expect(store.current().version).toBe('remote-1')
    expect(acmeInput(store)).toBe(7)
    expect(store.status).toMatchObject({ source: server.url(), url: server.url(), version: 'remote-1', lastError: null })
    expect(store.status.checkedAt).toBeString()
    expect(Date.parse(store.status.nextCheckAt!)).toBeGreaterThan(Date.parse(store.status.checkedAt!))
    expect(server.seen[0]!.headers.get('if-none-match')).toBeNull()
  })

  test('conditional requests: the ETag and Last-Modified come back; a 304 keeps the registry and updates checkedAt', async () => {
    const server = serve()
    const { store } = newStore(server.url())
    await store.start()
    const loadedAt = store.status.loadedAt
    const checkedAt = store.status.checkedAt
    await Bun.sleep(5)
    expect(await store.refresh()).toEqual({ ok: true })
    const second = server.seen.at(-1)!.headers
    expect(second.get('if-none-match')).toBe(server.etag)
    expect(second.get('if-modified-since')).toBeString()
    expect(store.current().version).toBe('remote-1')
    expect(store.status.loadedAt).toBe(loadedAt)
    expect(store.status.checkedAt).not.toBe(checkedAt)
  })

  test('Last-Modified alone is honoured with If-Modified-Since', async () => {
    const server = serve()
    server.sendEtag = false
    const { store } = newStore(server.url())
    await store.start()
    await store.refresh()
    expect(server.seen.at(-1)!.headers.get('if-none-match')).toBeNull()
    expect(server.seen.at(-1)!.headers.get('if-modified-since')).toBe(new Date('2026-11-01T00:00:00Z').toUTCString())
    server.publish(registryDoc('remote-2', 3))
    await store.refresh()
    expect(store.current().version).toBe('remote-2')
  })

  test('a new document is picked up on refresh', async () => {
    const server = serve()
    const { store } = newStore(server.url())
    await store.start()
    server.publish(registryDoc('remote-2', 3))
    expect(await store.refresh()).toEqual({ ok: true })
    expect(store.current().version).toBe('remote-2')
    expect(acmeInput(store)).toBe(3)
  })

  test('the timer checks again every refreshMinutes', async () => {
    const server = serve()
    const { store } = newStore(server.url(), { refreshMinutes: 0.002 }) // 120 ms
    await store.start()
    server.publish(registryDoc('remote-timed', 4))
    const deadline = Date.now() + 5000
    while (store.current().version !== 'remote-timed' && Date.now() < deadline) await Bun.sleep(20)
    expect(store.current().version).toBe('remote-timed')
  })

  const breakages: [string, (s: RegistryServer) => void, RegExp][] = [
    ['a 500', (s) => (s.mode = 'error'), /: HTTP 500/],
    ['a body that is not JSON', (s) => (s.mode = 'garbage'), /: invalid JSON at line 1/],
    ['a document that is not a registry', (s) => (s.mode = 'schema'), /\/models\/0\/id/],
    ['an answer that never ends (timeout)', (s) => (s.mode = 'hang'), /no complete answer within 300 ms/],
    ['a body past the size cap', (s) => (s.mode = 'huge'), /larger than 1 MiB/],
    ['a redirect to another scheme', (s) => (s.mode = 'to-other-scheme'), /redirected to another scheme/],
    ['a server that is gone', (s) => s.stop(), /cannot fetch/],
  ]
  for (const [what, breakIt, reason] of breakages) {
    test(`${what}: the last good registry stays, the reason is listed; the next success clears it`, async () => {
      const server = serve()
      const href = server.url()
      // Only the hanging answer needs the short timeout; the others get room for a loaded machine (a 1 MiB body
      // once took more than 300 ms in a full run).
      const { store, logs } = newStore(href, { timeoutMs: /never ends/.test(what) ? 300 : 5000, maxBytes: 1024 * 1024 })
      await store.start()
      const loadedAt = store.status.loadedAt
      breakIt(server)
      const result = await store.refresh()
      expect(result.ok).toBe(false)
      expect(store.current().version).toBe('remote-1')
      expect(store.status.loadedAt).toBe(loadedAt)
      expect(store.status.source).toBe(href)
      expect(store.status.lastError!.join('\n')).toMatch(reason)
      expect(store.status.lastError![0]).toStartWith(`${href}: `)
      expect(logs.at(-1)).toContain('rejected, keeping')
      if (what === 'a server that is gone') return
      server.mode = 'serve'
      server.publish(registryDoc('remote-fixed', 2))
      expect(await store.refresh()).toEqual({ ok: true })
      expect(store.current().version).toBe('remote-fixed')
      expect(store.status.lastError).toBeNull()
    })
  }

  test('a broken document, then the good one again: the 304 clears the error', async () => {
    const server = serve()
    const { store } = newStore(server.url())
    await store.start()
    const good = server.doc
    server.publish('{"version": ')
    expect((await store.refresh()).ok).toBe(false)
    // The broken document's validators were never kept: the request still names the good one.
    server.publish(good)
    await store.refresh()
    expect(server.seen.at(-1)!.headers.get('if-none-match')).toBe(server.etag)
    expect(store.status.lastError).toBeNull()
    expect(store.current().version).toBe('remote-1')
  })

  test('unreachable at start: the built-in registry, with the error; the first success replaces it', async () => {
    const server = serve()
    server.mode = 'error'
    const { store } = newStore(server.url())
    await store.start()
    expect(store.current()).toBe(builtin)
    expect(store.status).toMatchObject({ source: 'builtin', url: server.url() })
    expect(store.status.lastError![0]).toContain('HTTP 500')
    server.mode = 'serve'
    await store.refresh()
    expect(store.status).toMatchObject({ source: server.url(), version: 'remote-1', lastError: null })
  })

  test('checks never overlap: reloads during a check share the one that follows it', async () => {
    const server = serve()
    const { store } = newStore(server.url())
    await store.start()
    const before = server.seen.length
    const results = await Promise.all([store.refresh(), store.refresh(), store.refresh(), store.refresh()])
    expect(results.every((r) => r.ok)).toBe(true)
    expect(server.seen.length - before).toBe(2)
  })

  test('userinfo goes as Basic auth; neither it nor a query token is shown or logged', async () => {
    const server = serve()
    const secretUrl = server.url('/registry.json?token=s3cr3t-t0ken&v=2').replace('http://', 'http://bot:pa55word@')
    const { store, logs } = newStore(secretUrl)
    await store.start()
    expect(store.current().version).toBe('remote-1')
    expect(server.seen[0]!.headers.get('authorization')).toBe(`Basic ${btoa('bot:pa55word')}`)
    expect(server.seen[0]!.url.searchParams.get('token')).toBe('s3cr3t-t0ken')
    server.mode = 'error'
    await store.refresh()
    const shown = JSON.stringify(store.toJSON().status) + logs.join('\n')
    expect(store.status.source).toBe(server.url('/registry.json?token=***&v=***'))
    for (const secret of ['s3cr3t-t0ken', 'pa55word', 'bot:']) expect(shown).not.toContain(secret)
    expect(store.status.lastError![0]).toContain('token=***')
  })

  test('close() stops the timer and aborts a check in progress', async () => {
    const server = serve()
    const { store } = newStore(server.url(), { refreshMinutes: 0.002 })
    await store.start()
    server.mode = 'hang'
    const pending = store.refresh()
    await Bun.sleep(50)
    store.close()
    await pending
    const seen = server.seen.length
    await Bun.sleep(300)
    expect(server.seen.length).toBe(seen)
    expect(store.status.nextCheckAt).toBeNull()
  })
})
