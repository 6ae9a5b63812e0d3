import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { setUpstreamResolver } from '../../src/proxy/upstream-guard'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { TEST_CERT_NAME, TlsFake } from '../net/_tls-fake'
import { AZURE_KEY, azureClient, eventOf, putAzure } from './_azure'

// SSRF: with LECTR_ALLOW_PRIVATE_UPSTREAMS unset, an org's Azure endpoint can only ever send the client's key to a
// public https host. Every form is tried through the admin API, then at connect time with stubbed DNS.

let lectr: TestLectr // private upstreams NOT allowed
let tls: TlsFake // an https "Azure" on loopback: what a rebinding name would point at
let recorder: FakeUpstream // a server that must never be contacted

beforeAll(async () => {
  lectr = await startLectr(null, {}, { LECTR_ALLOW_PRIVATE_UPSTREAMS: '0' })
  tls = new TlsFake()
  recorder = new FakeUpstream()
})
afterAll(async () => {
  setUpstreamResolver(null)
  await lectr.stop()
  tls.stop()
  recorder.stop()
})
afterEach(() => {
  setUpstreamResolver(null)
  expect(recorder.received.length).toBe(0)
})

const REFUSED_AT_SAVE: [string, string][] = [
  ['http://contoso.openai.azure.com', 'https://'],
  ['https://user:pw@contoso.openai.azure.com', 'user info'],
  ['https://contoso.openai.azure.com@evil.com', 'user info'],
  ['https://@contoso.openai.azure.com', 'user info'],
  ['https://contoso.openai.azure.com#frag', 'fragment'],
  ['https://contoso.openai.azure.com/#', 'fragment'],
  ['https://contoso.openai.azure.com?x=1', 'query'],
  ['https://contoso.openai.azure.com/?', 'query'],
  ['https://contoso.openai.azure.com\\@evil.com', 'backslash'],
  ['https://contoso.openai.azure.com\t.evil.com', 'whitespace'],
  ['https://127.0.0.1', 'address'],
  ['https://127.0.0.1:8443', 'address'],
  ['https://localhost', 'public DNS name'],
  ['https://localhost.', 'public DNS name'],
  ['https://LOCALHOST', 'public DNS name'],
  ['https://foo.localhost', 'public DNS name'],
  ['https://metadata.google.internal', 'public DNS name'],
  ['https://intranet', 'public DNS name'],
  ['https://10.0.0.1', 'address'],
  ['https://172.16.0.1', 'address'],
  ['https://192.168.1.1', 'address'],
  ['https://169.254.169.254', 'address'],
  ['https://[::1]', 'address'],
  ['https://[fc00::1]', 'address'],
  ['https://[fe80::1]', 'address'],
  ['https://0.0.0.0', 'address'],
  ['https://0', 'address'],
  ['https://[::ffff:127.0.0.1]', 'address'],
  ['https://[::ffff:7f00:1]', 'address'],
  ['https://[::ffff:169.254.169.254]', 'address'],
  ['https://2130706433', 'address'],
  ['https://0177.0.0.1', 'address'],
  ['https://0x7f.0.0.1', 'address'],
  ['https://0x7f000001', 'address'],
  ['https://127.1', 'address'],
  ['https://127.0.0.1.', 'address'],
  ['https://%31%32%37.0.0.1', 'address'],
  ['https://100.64.0.1', 'address'],
  ['ftp://contoso.openai.azure.com', 'https://'],
  ['file:///etc/passwd', 'https://'],
]

describe('refused when saved', () => {
  test.each(REFUSED_AT_SAVE)('%s', async (endpoint, why) => {
    const res = await putAzure(lectr, endpoint, '2024-10-21')
    expect(res.status).toBe(400)
    const err = ((await res.json()) as any).error
    expect(err.code).toBe('lectr_invalid_body')
    expect(err.problems.join(' | ')).toContain(why)
    expect((await lectr.api('orgs/default/providers/azure')).status).toBe(404) // nothing saved
  })

  test('a public hostname is saved without any network access (it is checked when Lectr connects)', async () => {
    let lookups = 0
    setUpstreamResolver(async () => {
      lookups++
      return ['20.42.73.1']
    })
    const res = await putAzure(lectr, 'https://does-not-exist-yet.openai.azure.com', '2024-10-21')
    expect(res.status).toBe(200)
    expect(lookups).toBe(0)
    await lectr.api('orgs/default/providers/azure', { method: 'DELETE' })
  })

  test('a public IP literal is accepted', async () => {
    expect((await putAzure(lectr, 'https://20.42.73.1', '2024-10-21')).status).toBe(200)
    await lectr.api('orgs/default/providers/azure', { method: 'DELETE' })
  })
})

describe('a hostname that resolves to a non-public address at connect time', () => {
  const cases: [string, string[]][] = [
    ['loopback (where an https fake Azure does listen)', ['127.0.0.1']],
    ['cloud metadata', ['169.254.169.254']],
    ['private', ['10.0.0.7']],
    ['IPv6 loopback', ['::1']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['a public and a private address', ['20.42.73.1', '127.0.0.1']],
  ]
  test.each(cases)('%s: 502 lectr_upstream_refused, the upstream is never contacted, the key never leaves', async (_, addresses) => {
    const resolved: string[] = []
    setUpstreamResolver(async (host) => {
      resolved.push(host)
      return addresses
    })
    expect((await putAzure(lectr, `https://${TEST_CERT_NAME}:${tls.port}`, '2024-10-21')).status).toBe(200)
    const before = tls.received.length
    const client = azureClient(lectr)
    const err = (await client.chat.completions.create({ model: 'prod', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e)) as any
    expect(err.status).toBe(502)
    expect(err.error.code).toBe('lectr_upstream_refused')
    expect(err.error.message).toContain(TEST_CERT_NAME)
    expect(JSON.stringify(err.error)).not.toContain(AZURE_KEY)
    expect(resolved).toEqual([TEST_CERT_NAME])
    expect(tls.received.length).toBe(before)
    const event = await eventOf(lectr, err.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ provider: 'azure', status: 502, error_code: 'lectr_upstream_refused', model: 'prod', input_tokens: null })
    expect(JSON.stringify(event)).not.toContain(AZURE_KEY)
  })

  test('a name that does not resolve: 502 lectr_upstream_unreachable, nothing sent', async () => {
    setUpstreamResolver(async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    })
    expect((await putAzure(lectr, `https://${TEST_CERT_NAME}:${tls.port}`, '2024-10-21')).status).toBe(200)
    const before = tls.received.length
    const res = await lectr.post('chat/completions', { model: 'prod', messages: [] }, { 'x-lectr-provider': 'azure' })
    expect(res.status).toBe(502)
    expect(((await res.json()) as any).error.code).toBe('lectr_upstream_unreachable')
    expect(tls.received.length).toBe(before)
  })
})

describe('settings saved while private upstreams were allowed are checked again when Lectr connects', () => {
  test('plain http, loopback and localhost endpoints stored earlier are refused once LECTR_ALLOW_PRIVATE_UPSTREAMS is off', async () => {
    const upstream = new FakeUpstream()
    const permissive = await startLectr(upstream) // LECTR_ALLOW_PRIVATE_UPSTREAMS=1
    try {
      const endpoints = [
        upstream.origin, // plain http on loopback
        `https://127.0.0.1:${tls.port}`, // a loopback literal
        `https://localhost:${tls.port}`, // a name the SYSTEM resolver (no stub) resolves to loopback
      ]
      for (const endpoint of endpoints) {
        expect((await putAzure(permissive, endpoint, '2024-10-21')).status).toBe(200)
        // Same database, restarted with private upstreams off.
        const strict = await startLectr(null, { db: permissive.dbPath }, { LECTR_ALLOW_PRIVATE_UPSTREAMS: '0' })
        try {
          const key = ((await (await strict.api('orgs/default/keys', { method: 'POST', body: '{}' })).json()) as any).key
          const before = [upstream.received.length, tls.received.length]
          const res = await fetch(`${strict.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${AZURE_KEY}`, 'x-lectr-key': key, 'x-lectr-provider': 'azure' },
            body: JSON.stringify({ model: 'prod', messages: [] }),
          })
          expect(res.status).toBe(502)
          expect(((await res.json()) as any).error.code).toBe('lectr_upstream_refused')
          expect([upstream.received.length, tls.received.length]).toEqual(before)
        } finally {
          await strict.stop()
        }
      }
    } finally {
      await permissive.stop()
      upstream.stop()
    }
  })
})

describe('redirects are passed to the client, never followed', () => {
  test('a 307 to another server: the client gets the 307 and its Location; the other server gets nothing', async () => {
    const azure = new FakeUpstream()
    const permissive = await startLectr(azure)
    try {
      expect((await putAzure(permissive, azure.origin, '2024-10-21')).status).toBe(200)
      for (const status of [301, 302, 303, 307, 308]) {
        azure.script = () => new Response(null, { status, headers: { location: `${recorder.origin}/steal?status=${status}` } })
        const res = await fetch(`${permissive.url}/v1/chat/completions`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${AZURE_KEY}`, 'x-lectr-key': permissive.orgKey, 'x-lectr-provider': 'azure' },
          body: JSON.stringify({ model: 'prod', messages: [{ role: 'user', content: 'hi' }] }),
        })
        expect(res.status).toBe(status)
        expect(res.headers.get('location')).toBe(`${recorder.origin}/steal?status=${status}`)
        expect(azure.last.headers.get('api-key')).toBe(AZURE_KEY)
      }
      azure.script = () => chatJson()
      expect(recorder.received.length).toBe(0)
    } finally {
      await permissive.stop()
      azure.stop()
    }
  })
})
