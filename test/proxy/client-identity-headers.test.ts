import { afterAll, beforeAll, expect, test } from 'bun:test'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'

// What a provider may learn from a request's headers: everything it needs to serve it, nothing about who or where
// the client is.

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = () => chatJson()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

/** header sent by the client → whether it reaches the provider */
const TABLE: [string, string, boolean][] = [
  // client identity: never
  ['x-forwarded-for', '203.0.113.7', false],
  ['x-forwarded-host', 'app.internal', false],
  ['x-forwarded-proto', 'https', false],
  ['x-forwarded-port', '443', false],
  ['x-forwarded-server', 'edge-1', false],
  ['x-forwarded-client-ip', '203.0.113.7', false],
  ['forwarded', 'for=203.0.113.7;proto=https', false],
  ['x-real-ip', '203.0.113.7', false],
  ['via', '1.1 edge-proxy', false],
  ['cookie', 'session=abc', false],
  ['true-client-ip', '203.0.113.7', false],
  ['cf-connecting-ip', '203.0.113.7', false],
  ['cf-connecting-ipv6', '2001:db8::7', false],
  ['cf-ipcountry', 'NL', false],
  ['x-client-ip', '203.0.113.7', false],
  ['client-ip', '203.0.113.7', false],
  ['x-cluster-client-ip', '203.0.113.7', false],
  ['fastly-client-ip', '203.0.113.7', false],
  ['akamai-client-ip', '203.0.113.7', false],
  ['x-original-forwarded-for', '203.0.113.7', false],
  ['x-originating-ip', '203.0.113.7', false],
  ['x-remote-ip', '203.0.113.7', false],
  ['x-remote-addr', '203.0.113.7', false],
  ['x-proxyuser-ip', '203.0.113.7', false],
  ['x-arr-clientip', '203.0.113.7', false],
  ['x-azure-clientip', '203.0.113.7', false],
  ['x-azure-socketip', '203.0.113.7', false],
  ['x-appengine-user-ip', '203.0.113.7', false],
  ['x-envoy-external-address', '203.0.113.7', false],
  // the provider's and the SDKs' own: always, as sent
  ['authorization', 'Bearer provider-key-123', true],
  ['openai-organization', 'org-1', true],
  ['openai-project', 'proj-1', true],
  ['openai-beta', 'assistants=v2', true],
  ['anthropic-version', '2023-06-01', true],
  ['anthropic-beta', 'prompt-caching-2024-07-31', true],
  ['x-goog-api-key', 'goog-key', true],
  ['x-goog-user-project', 'proj', true],
  ['x-api-key', 'anthropic-key', true],
  ['api-key', 'azure-key', true],
  ['content-type', 'application/json', true],
  ['accept', 'application/json', true],
  ['x-stainless-lang', 'js', true],
  ['x-stainless-package-version', '4.0.0', true],
  ['x-stainless-retry-count', '0', true],
  ['user-agent', 'OpenAI/JS 4.0.0', true],
  ['idempotency-key', 'idem-1', true],
]

test('client identity headers do not reach the provider; the provider’s and the SDKs’ own do, unchanged', async () => {
  const headers: Record<string, string> = {}
  for (const [name, value] of TABLE) headers[name] = value
  const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, headers)
  expect(res.status).toBe(200)
  const got = up.last.headers
  const arrived = TABLE.map(([name]) => [name, got.get(name)])
  const expected = TABLE.map(([name, value, passes]) => [name, passes ? value : null])
  expect(arrived).toEqual(expected)
})

test('header names in any case', async () => {
  const headers: Record<string, string> = { 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.7', Forwarded: 'for=x', 'OpenAI-Organization': 'org-2' }
  const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, headers)
  expect(res.status).toBe(200)
  const got = up.last.headers
  expect([got.get('x-forwarded-for'), got.get('x-real-ip'), got.get('forwarded'), got.get('openai-organization')]).toEqual([null, null, null, 'org-2'])
})
