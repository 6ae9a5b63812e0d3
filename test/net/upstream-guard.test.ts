import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { checkUpstreamHost, pinTo, setUpstreamResolver, type Resolve } from '../../src/proxy/upstream-guard'
import { TEST_CERT, TEST_CERT_NAME, TlsFake } from './_tls-fake'

const URL_ = 'https://my-resource.openai.azure.com/openai/deployments/prod/chat/completions?api-version=2024-10-21'

/** A resolver that answers `addresses` and counts its calls. */
function stub(addresses: string[] | Error): Resolve & { calls: string[] } {
  const calls: string[] = []
  const r = (async (host: string) => {
    calls.push(host)
    if (addresses instanceof Error) throw addresses
    return addresses
  }) as Resolve & { calls: string[] }
  r.calls = calls
  return r
}

describe('checkUpstreamHost: a hostname is checked against every address it resolves to', () => {
  const refusedSets: [string, string[]][] = [
    ['loopback', ['127.0.0.1']],
    ['IPv6 loopback', ['::1']],
    ['private', ['10.0.0.5']],
    ['metadata', ['169.254.169.254']],
    ['unspecified', ['0.0.0.0']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['unique local', ['fd00::1']],
    ['CGNAT', ['100.64.0.1']],
    ['one public and one private (any bad address refuses)', ['20.42.73.1', '192.168.0.10']],
    ['one private and one public', ['172.16.0.1', '20.42.73.1']],
  ]
  test.each(refusedSets)('resolves to %s: refused, lectr_upstream_refused', async (_, addresses) => {
    const resolve = stub(addresses)
    const r = await checkUpstreamHost(URL_, { resolve })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.code).toBe('lectr_upstream_refused')
    expect(r.reason).toContain('my-resource.openai.azure.com')
    expect(r.reason).toContain('non-public')
    for (const a of addresses) expect(r.reason).not.toContain(a) // the network layout is not told to the client
    expect(resolve.calls).toEqual(['my-resource.openai.azure.com'])
  })

  test('resolves to nothing, or fails, or hangs: lectr_upstream_unreachable', async () => {
    for (const resolve of [stub([]), stub(new Error('ENOTFOUND')), (() => new Promise<string[]>(() => {})) as Resolve]) {
      const r = await checkUpstreamHost(URL_, { resolve, timeoutMs: 50 })
      expect(r).toMatchObject({ ok: false, code: 'lectr_upstream_unreachable' })
    }
  })

  test('resolves to public addresses only: ok, pinned to a checked address (IPv4 first)', async () => {
    const r = await checkUpstreamHost(URL_, { resolve: stub(['20.42.73.1', '2603:1030::1']) })
    expect(r).toEqual({
      ok: true,
      address: '20.42.73.1',
      pinned: {
        url: 'https://20.42.73.1/openai/deployments/prod/chat/completions?api-version=2024-10-21',
        host: 'my-resource.openai.azure.com',
        serverName: 'my-resource.openai.azure.com',
      },
    })
    const v4first = await checkUpstreamHost(URL_, { resolve: stub(['2603:1030::1', '20.42.73.2']) })
    expect(v4first.ok && v4first.address).toBe('20.42.73.2')
    const v6 = await checkUpstreamHost(URL_, { resolve: stub(['2603:1030::1']) })
    expect(v6.ok && v6.pinned.url).toBe('https://[2603:1030::1]/openai/deployments/prod/chat/completions?api-version=2024-10-21')
  })

  test('the whole URL is checked again, not only the host: plain http and user info are refused without a lookup', async () => {
    for (const url of ['http://my-resource.openai.azure.com/openai/v1/chat/completions', 'https://u:p@my-resource.openai.azure.com/x']) {
      const resolve = stub(['20.42.73.1'])
      const r = await checkUpstreamHost(url, { resolve })
      expect(r).toMatchObject({ ok: false, code: 'lectr_upstream_refused' })
      expect(resolve.calls).toEqual([])
    }
  })

  test('an IP literal is checked as it is, without a lookup', async () => {
    const resolve = stub(['20.42.73.1'])
    for (const url of ['https://127.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/x', 'https://[::ffff:7f00:1]/x', 'https://2130706433/x']) {
      expect(await checkUpstreamHost(url, { resolve })).toMatchObject({ ok: false, code: 'lectr_upstream_refused' })
    }
    const ok = await checkUpstreamHost('https://20.42.73.1:8443/x', { resolve })
    expect(ok).toEqual({ ok: true, address: '20.42.73.1', pinned: { url: 'https://20.42.73.1:8443/x', host: '20.42.73.1:8443', serverName: null } })
    expect(resolve.calls).toEqual([])
  })

  test('setUpstreamResolver replaces the default resolver for the process (the end-to-end tests use it)', async () => {
    setUpstreamResolver(stub(['10.1.2.3']))
    try {
      expect(await checkUpstreamHost(URL_)).toMatchObject({ ok: false, code: 'lectr_upstream_refused' })
    } finally {
      setUpstreamResolver(null)
    }
  })

  test('the system resolver: localhost resolves to loopback and is refused', async () => {
    // `localhost` answers from the hosts file on every machine, no network needed.
    expect(await checkUpstreamHost('https://localhost/openai/v1/models')).toMatchObject({ ok: false })
  })
})

describe('pinTo', () => {
  const rows: [string, string, { url: string; host: string; serverName: string }][] = [
    ['https://x.openai.azure.com/openai/v1/chat/completions', '20.1.2.3', { url: 'https://20.1.2.3/openai/v1/chat/completions', host: 'x.openai.azure.com', serverName: 'x.openai.azure.com' }],
    ['https://x.openai.azure.com:8443/p?q=1', '20.1.2.3', { url: 'https://20.1.2.3:8443/p?q=1', host: 'x.openai.azure.com:8443', serverName: 'x.openai.azure.com' }],
    ['https://x.openai.azure.com./p', '20.1.2.3', { url: 'https://20.1.2.3/p', host: 'x.openai.azure.com', serverName: 'x.openai.azure.com' }],
    ['https://x.openai.azure.com/p', '2603:1030::1', { url: 'https://[2603:1030::1]/p', host: 'x.openai.azure.com', serverName: 'x.openai.azure.com' }],
  ]
  test.each(rows)('%s at %s', (url, address, expected) => {
    expect(pinTo(new URL(url), address)).toEqual(expected)
  })
})

// The pinned request is a real fetch to an IP with the original Host and TLS server name: Bun sends that Host,
// presents that SNI and verifies the certificate against the NAME, so pinning keeps TLS meaningful.
describe('a pinned fetch over real TLS', () => {
  let fake: TlsFake
  let ca: string
  beforeAll(async () => {
    fake = new TlsFake()
    ca = await TEST_CERT.ca()
  })
  afterAll(() => fake.stop())

  test('connects to the address, sends the name as Host and verifies the certificate against the name', async () => {
    const pinned = pinTo(new URL(`https://${TEST_CERT_NAME}:${fake.port}/openai/v1/models`), '127.0.0.1')
    expect(pinned.url).toBe(`https://127.0.0.1:${fake.port}/openai/v1/models`)
    const res = await fetch(pinned.url, { headers: { host: pinned.host }, tls: { serverName: pinned.serverName!, ca } })
    expect(res.status).toBe(200)
    expect(fake.last.headers.get('host')).toBe(`${TEST_CERT_NAME}:${fake.port}`)
  })

  test('a certificate for another name is refused: an address pinned for one name cannot serve another', async () => {
    const before = fake.received.length
    const pinned = pinTo(new URL(`https://evil.example.com:${fake.port}/x`), '127.0.0.1')
    const err = await fetch(pinned.url, { headers: { host: pinned.host }, tls: { serverName: pinned.serverName!, ca } }).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(String((err as { code?: string }).code ?? err)).toContain('ERR_TLS_CERT_ALTNAME_INVALID')
    expect(fake.received.length).toBe(before)
  })

  test('connections are pooled per server name: a second name never rides on the first name\'s TLS session', async () => {
    // Both names are in the test certificate; each gets its own connection (the remote ports differ).
    fake.script = (req) => Response.json({ host: req.headers.get('host') })
    const from = fake.remotePorts.length
    for (const name of [TEST_CERT_NAME, 'contoso.openai.azure.com', TEST_CERT_NAME, 'contoso.openai.azure.com']) {
      const pinned = pinTo(new URL(`https://${name}:${fake.port}/x`), '127.0.0.1')
      const res = await fetch(pinned.url, { headers: { host: pinned.host }, tls: { serverName: pinned.serverName!, ca } })
      expect(((await res.json()) as { host: string }).host).toBe(`${name}:${fake.port}`)
    }
    const [a1, b1, a2, b2] = fake.remotePorts.slice(from)
    expect(a1).not.toBe(b1)
    expect(a2).toBe(a1) // kept alive and reused for the same name
    expect(b2).toBe(b1)
  })
})
