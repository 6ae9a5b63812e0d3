/**
 * A registry served over loopback that changes, breaks and recovers while traffic flows through a real Lectr.
 * Every provider points at a fake upstream that reports 1M prompt tokens, so an event's cost is the input price.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { chatJson, FakeUpstream } from '../helpers/fake-upstream'
import { answerOf, errorOf } from '../helpers/json'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { Client } from '../dashboard/_client'
import { RegistryServer, registryDoc } from './registry-server'

const TOKEN = 's3cr3t-registry-t0ken'
let up: FakeUpstream
let reg: RegistryServer
let lectr: TestLectr
let logs: string[]

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (_req, rec) => chatJson({ model: JSON.parse(rec.body).model, usage: { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 } })
  reg = new RegistryServer(registryDoc('remote-1', 7))
  lectr = await startLectr(up, {}, { LECTR_REGISTRY_URL: reg.url(`/registry.json?token=${TOKEN}`) })
})
afterAll(async () => {
  await lectr?.stop()
  up?.stop()
  reg?.stop()
})

const shownUrl = () => reg.url('/registry.json?token=***')
const registry = async () => answerOf(await lectr.api('registry'), 'registry')
const reload = () => lectr.api('registry/reload', { method: 'POST' })

/** One proxied request for `acme-large`; its event's cost and registry version. */
async function priced(): Promise<{ status: number; cost: number; version: string }> {
  const res = await lectr.post('chat/completions', { model: 'acme-large', messages: [] })
  await res.text()
  const event = lectr.events().at(-1)
  return { status: res.status, cost: event.cost_usd, version: event.registry_version }
}

/** Requests sent back to back until `stop()`; every one must be answered 200. */
function traffic(target: TestLectr = lectr) {
  let running = true
  const statuses: number[] = []
  const loop = (async () => {
    while (running) {
      const res = await target.post('chat/completions', { model: 'acme-large', messages: [] })
      await res.text()
      statuses.push(res.status)
    }
  })()
  return {
    statuses,
    async stop() {
      running = false
      await loop
      return statuses
    },
  }
}

describe('a registry at a URL, served over loopback', () => {
  test('fetched at start: in force, shown with its URL (query values redacted), prices used', async () => {
    const body = await registry()
    expect(body.version).toBe('remote-1')
    expect(body.status).toMatchObject({ source: shownUrl(), url: shownUrl(), version: 'remote-1', lastError: null })
    expect(JSON.stringify(body.status)).not.toContain(TOKEN)
    expect(reg.seen[0]!.url.searchParams.get('token')).toBe(TOKEN)
    expect(await priced()).toEqual({ status: 200, cost: 7, version: 'remote-1' })
  })

  test('unchanged: the reload is a conditional request answered 304; nothing changes but checkedAt', async () => {
    const before = (await registry()).status
    await Bun.sleep(5)
    const res = await reload()
    expect(res.status).toBe(200)
    const headers = reg.seen.at(-1)!.headers
    expect(headers.get('if-none-match')).toBe(reg.etag)
    expect(headers.get('if-modified-since')).toBeString()
    const after = (await registry()).status
    expect(after).toMatchObject({ version: 'remote-1', loadedAt: before.loadedAt, lastError: null })
    expect(after.checkedAt).not.toBe(before.checkedAt)
  })

  test('changes: a new price is picked up on reload, and new requests are priced with it', async () => {
    reg.publish(registryDoc('remote-2', 3))
    const res = await reload()
    expect(res.status).toBe(200)
    expect((await answerOf(res, 'registryReload')).status).toMatchObject({ version: 'remote-2', lastError: null })
    expect(await priced()).toEqual({ status: 200, cost: 3, version: 'remote-2' })
  })

  const breakages: [string, (s: RegistryServer) => void, string][] = [
    ['a 500', (s) => (s.mode = 'error'), 'HTTP 500'],
    ['a body that is not JSON', (s) => (s.mode = 'garbage'), 'invalid JSON'],
    ['a document that is not a registry', (s) => (s.mode = 'schema'), '/models/0/id'],
  ]
  for (const [what, breakIt, reason] of breakages) {
    test(`breaks (${what}) while traffic flows: the last good registry prices every request, the error is listed`, async () => {
      const flow = traffic()
      const eventsBefore = lectr.events().length
      breakIt(reg)
      const res = await reload()
      expect(res.status).toBe(422)
      const answer = await errorOf(res)
      expect(answer.error.code).toBe('lectr_registry_invalid')
      expect(answer.error.problems?.join('\n')).toContain(reason)
      const body = await registry()
      expect(body.version).toBe('remote-2')
      expect(body.status.source).toBe(shownUrl())
      expect(body.status.lastError?.join('\n')).toContain(reason)
      expect(body.status.lastError?.[0]).toStartWith(`${shownUrl()}: `)
      expect(JSON.stringify(body)).not.toContain(TOKEN)
      await eventually(() => flow.statuses.length >= 3)
      const statuses = await flow.stop()
      expect(statuses.every((s) => s === 200)).toBe(true)
      const events = lectr.events().slice(eventsBefore)
      expect(events).toHaveLength(statuses.length)
      for (const event of events) expect(event).toMatchObject({ cost_usd: 3, registry_version: 'remote-2' })
    })
  }

  test('the Registry page shows the URL, when it was checked and the error; never the token', async () => {
    const client = Client.http(lectr.url)
    expect((await client.signIn()).status).toBe(303)
    const { res, html } = await client.page('/registry')
    expect(res.status).toBe(200)
    expect(html).toContain(Bun.escapeHTML(shownUrl()))
    expect(html).toContain('The last check of the registry URL failed')
    expect(html).toContain('/models/0/id')
    expect(html).not.toContain(TOKEN)
    // The page's Reload re-fetches too: still broken, still listed.
    const post = await client.post('/registry/reload')
    expect(post.headers.get('location')).toBe('/registry?done=failed')
  })

  test('recovers: the next good answer is in force and clears the error', async () => {
    reg.mode = 'serve'
    reg.publish(registryDoc('remote-3', 2))
    const res = await reload()
    expect(res.status).toBe(200)
    expect((await registry()).status).toMatchObject({ source: shownUrl(), version: 'remote-3', lastError: null })
    expect(await priced()).toEqual({ status: 200, cost: 2, version: 'remote-3' })
    const client = Client.http(lectr.url)
    await client.signIn()
    const { html } = await client.page('/registry')
    expect(html).not.toContain('error-box')
  })
})

describe('a registry URL checked on a timer', () => {
  test('LECTR_REGISTRY_REFRESH_MINUTES: a change is picked up without a reload, while traffic flows', async () => {
    const upstream = new FakeUpstream()
    upstream.script = up.script
    const server = new RegistryServer(registryDoc('timed-1', 5))
    const timed = await startLectr(upstream, {}, { LECTR_REGISTRY_URL: server.url(), LECTR_REGISTRY_REFRESH_MINUTES: '0.01' }) // 600 ms, the shortest allowed
    try {
      const flow = traffic(timed)
      server.publish(registryDoc('timed-2', 1))
      await eventually(async () => (await answerOf(await timed.api('registry'), 'registry')).version === 'timed-2', 10_000)
      const statuses = await flow.stop()
      expect(statuses.length).toBeGreaterThan(0)
      expect(statuses.every((s) => s === 200)).toBe(true)
      // Checks after the first are conditional.
      expect(server.seen.slice(1).every((s) => s.headers.get('if-none-match') !== null)).toBe(true)
      const res = await timed.post('chat/completions', { model: 'acme-large', messages: [] })
      await res.text()
      expect(timed.events().at(-1)).toMatchObject({ cost_usd: 1, registry_version: 'timed-2' })
    } finally {
      await timed.stop()
      upstream.stop()
      server.stop()
    }
  })
})

describe('a registry URL that cannot be fetched at start', () => {
  test('Lectr starts with the built-in registry, shows the error and serves traffic', async () => {
    const server = new RegistryServer('')
    const url = server.url()
    server.stop()
    const upstream = new FakeUpstream()
    const down = await startLectr(upstream, {}, { LECTR_REGISTRY_URL: url })
    try {
      const body = await answerOf(await down.api('registry'), 'registry')
      expect(body.status).toMatchObject({ source: 'builtin', url })
      expect(body.status.lastError?.[0]).toStartWith(`${url}: cannot fetch`)
      const res = await down.post('chat/completions', { model: 'gpt-4o-mini', messages: [] })
      expect(res.status).toBe(200)
      await res.text()
    } finally {
      await down.stop()
      upstream.stop()
    }
  })
})

describe('refused registry URL settings stop the start (exit 2, one plain line each)', () => {
  const main = join(import.meta.dir, '../../src/main.ts')
  const run = (env: Record<string, string>) => {
    const p = Bun.spawnSync([process.execPath, main], { env: { PATH: process.env.PATH ?? '', LECTR_DB: ':memory:', LECTR_PORT: '0', ...env } })
    return { code: p.exitCode, err: p.stderr.toString() }
  }

  test('a file and a URL together', () => {
    const r = run({ LECTR_REGISTRY: 'team.json', LECTR_REGISTRY_URL: 'https://prices.example.com/r.json' })
    expect(r.code).toBe(2)
    expect(r.err).toContain('LECTR_REGISTRY and LECTR_REGISTRY_URL are exclusive')
  })

  test('plain http without LECTR_ALLOW_PRIVATE_UPSTREAMS, and plain http to a non-loopback host with it', () => {
    const loopback = run({ LECTR_REGISTRY_URL: `http://127.0.0.1:9/r.json?token=${TOKEN}` })
    expect(loopback.code).toBe(2)
    expect(loopback.err).toContain('LECTR_REGISTRY_URL: "http://127.0.0.1:9/r.json?token=***" is plain http')
    expect(loopback.err).not.toContain(TOKEN)
    const remote = run({ LECTR_REGISTRY_URL: 'http://prices.example.com/r.json', LECTR_ALLOW_PRIVATE_UPSTREAMS: '1' })
    expect(remote.code).toBe(2)
    expect(remote.err).toContain('is plain http: use https')
  })
})
