import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { parseConfig } from '../../src/config'
import { setUpstreamResolver } from '../../src/proxy/upstream-guard'
import { startServer, type Running } from '../../src/server'
import { sse } from '../helpers/fake-upstream'
import { ADMIN_TOKEN } from '../helpers/lectr'
import { TEST_CERT, TEST_CERT_NAME, TlsFake } from '../net/_tls-fake'
import { AZURE_KEY, azureChatStream } from './_azure'

// DNS rebinding: Lectr resolves the Azure host once per request, checks every address, and then connects to the
// address it checked (the URL handed to fetch holds that IP; Host and the TLS server name keep the real name), so a
// second, different answer to a second lookup can never be used. A real Lectr (private upstreams NOT allowed)
// runs here with one stand-in: a fetch wrapper plays the Internet, sending the public address the stubbed DNS
// answered to an https fake Azure on loopback, and trusting the test certificate.

const PUBLIC = '20.42.73.1'
let tls: TlsFake
let running: Running
let dir: string
let orgKey: string
const fetched: { url: string; host: string | null; serverName: string | undefined }[] = []

beforeAll(async () => {
  tls = new TlsFake()
  const ca = await TEST_CERT.ca()
  const internet = (async (input: Parameters<typeof fetch>[0], init: RequestInit & { tls?: { serverName?: string } } = {}) => {
    const url = new URL(String(input))
    fetched.push({ url: url.toString(), host: new Headers(init.headers).get('host'), serverName: init.tls?.serverName })
    if (url.hostname !== PUBLIC) throw Object.assign(new Error('no route to host'), { code: 'EHOSTUNREACH' })
    url.hostname = '127.0.0.1'
    return fetch(url, { ...init, tls: { ...init.tls, ca } } as RequestInit)
  }) as typeof fetch
  dir = mkdtempSync(join(tmpdir(), 'lectr-pin-'))
  const parsed = parseConfig([], {
    LECTR_HOST: '127.0.0.1',
    LECTR_PORT: '0',
    LECTR_DB: join(dir, 'lectr.db'),
    LECTR_ADMIN_TOKEN: ADMIN_TOKEN,
    LECTR_ALLOW_PRIVATE_UPSTREAMS: '0',
  })
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  running = await startServer(parsed.config, { log: () => {}, fetch: internet })
  orgKey = running.defaultOrgKey!
  const res = await fetch(`${running.url}/api/orgs/default/providers/azure`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ endpoint: `https://${TEST_CERT_NAME}:${tls.port}`, apiVersion: '2024-10-21' }),
  })
  expect(res.status).toBe(200)
})
afterAll(async () => {
  setUpstreamResolver(null)
  await running.stop()
  rmSync(dir, { recursive: true, force: true })
  tls.stop()
})
afterEach(() => setUpstreamResolver(null))

const client = () =>
  new OpenAI({ baseURL: `${running.url}/v1`, apiKey: AZURE_KEY, maxRetries: 0, defaultHeaders: { 'X-Lectr-Key': orgKey, 'X-Lectr-Provider': 'azure' } })

describe('the connection goes to the address that was checked', () => {
  test('fetch is handed the checked IP, with the name as Host and TLS server name; the certificate is verified against the name', async () => {
    setUpstreamResolver(async () => [PUBLIC])
    fetched.length = 0
    const before = tls.received.length
    const out = await client().chat.completions.create({ model: 'prod', messages: [{ role: 'user', content: 'hi' }] })
    expect(out.choices[0]!.message.content).toBe('Hello!')
    expect(fetched).toEqual([
      {
        url: `https://${PUBLIC}:${tls.port}/openai/deployments/prod/chat/completions?api-version=2024-10-21`,
        host: `${TEST_CERT_NAME}:${tls.port}`,
        serverName: TEST_CERT_NAME,
      },
    ])
    expect(tls.received.length).toBe(before + 1)
    const got = tls.last
    expect(got.headers.get('host')).toBe(`${TEST_CERT_NAME}:${tls.port}`)
    expect(got.url.pathname).toBe('/openai/deployments/prod/chat/completions')
    expect(got.headers.get('api-key')).toBe(AZURE_KEY)
    expect(got.headers.get('authorization')).toBeNull()
  })

  test('a rebinding name (public on the first lookup, loopback on the next) is used only at the address checked', async () => {
    const answers = [[PUBLIC], ['127.0.0.1'], ['127.0.0.1']]
    let lookups = 0
    setUpstreamResolver(async () => answers[Math.min(lookups++, answers.length - 1)]!)
    fetched.length = 0
    // first request: one lookup (public), one connection to that address
    await client().chat.completions.create({ model: 'prod', messages: [{ role: 'user', content: 'hi' }] })
    expect(lookups).toBe(1)
    expect(fetched.map((f) => new URL(f.url).hostname)).toEqual([PUBLIC])
    // the name now points at loopback: refused before any connection
    const err = (await client().chat.completions.create({ model: 'prod', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e)) as any
    expect(err.status).toBe(502)
    expect(err.error.code).toBe('lectr_upstream_refused')
    expect(lookups).toBe(2)
    expect(fetched.length).toBe(1)
  })

  test('streams work through a pinned connection', async () => {
    setUpstreamResolver(async () => [PUBLIC])
    tls.script = (_req, rec) => {
      const { chunks, usageChunk } = azureChatStream({ usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } })
      const asked = JSON.parse(rec.body).stream_options?.include_usage === true
      return sse([...chunks, ...(asked ? [usageChunk] : []), 'data: [DONE]\n\n'])
    }
    const stream = await client().chat.completions.create({ model: 'prod', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    let text = ''
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Bonjour le monde')
  })
})
