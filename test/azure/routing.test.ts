import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { azure, deploymentNameProblem } from '../../src/providers/azure'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { AZURE_KEY, azureClient, eventOf, putAzure } from './_azure'

// Routing through the official OpenAI SDK: the deployment is the model, `X-Lectr-Provider: azure`, and the fake
// Azure on loopback records the URL, query, headers and body it receives.

let fake: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  fake = new FakeUpstream()
  lectr = await startLectr(fake)
})
afterAll(async () => {
  await lectr.stop()
  fake.stop()
})
beforeEach(async () => {
  fake.script = () => chatJson()
  expect((await putAzure(lectr, fake.origin, '2024-10-21')).status).toBe(200)
})

function expectAzureHeaders(headers: Headers) {
  expect(headers.get('api-key')).toBe(AZURE_KEY)
  expect(headers.get('authorization')).toBeNull()
  headers.forEach((_, name) => expect(name.startsWith('x-lectr-')).toBe(false))
}

describe('classic API: /openai/deployments/{deployment}/{path}?api-version=', () => {
  test('chat completions', async () => {
    const { data, response } = await azureClient(lectr)
      .chat.completions.create({ model: 'my-prod-deployment', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'X-Lectr-Feature': 'faq' } })
      .withResponse()
    expect(data.choices[0]!.message.content).toBe('Hello!')
    expect(response.headers.get('x-lectr-provider')).toBe('azure')
    const got = fake.last
    expect(got.method).toBe('POST')
    expect(got.url.pathname).toBe('/openai/deployments/my-prod-deployment/chat/completions')
    expect(got.url.search).toBe('?api-version=2024-10-21')
    expectAzureHeaders(got.headers)
    // the body is the client's own (no stream, so nothing added); the deployment stays in `model`
    expect(JSON.parse(got.body)).toEqual({ model: 'my-prod-deployment', messages: [{ role: 'user', content: 'hi' }] })
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ provider: 'azure', detection: 'header', model: 'my-prod-deployment', endpoint: 'chat/completions', feature: 'faq', status: 200 })
  })

  test('completions', async () => {
    fake.script = () => Response.json({ id: 'cmpl-1', object: 'text_completion', created: 1, model: 'gpt-35-turbo-instruct', choices: [{ text: 'ok', index: 0, finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })
    const out = await azureClient(lectr).completions.create({ model: 'instruct', prompt: 'Say ok' })
    expect(out.choices[0]!.text).toBe('ok')
    expect(fake.last.url.pathname).toBe('/openai/deployments/instruct/completions')
    expect(fake.last.url.search).toBe('?api-version=2024-10-21')
    expectAzureHeaders(fake.last.headers)
  })

  test('embeddings', async () => {
    fake.script = () => Response.json({ object: 'list', model: 'text-embedding-3-small', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 4, total_tokens: 4 } })
    const { data, response } = await azureClient(lectr).embeddings.create({ model: 'embed-small', input: 'hello', encoding_format: 'float' }).withResponse()
    expect(data.data[0]!.embedding).toEqual([0.1, 0.2])
    expect(fake.last.url.pathname).toBe('/openai/deployments/embed-small/embeddings')
    expect(fake.last.url.search).toBe('?api-version=2024-10-21')
    expectAzureHeaders(fake.last.headers)
    const event = await eventOf(lectr, response.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ endpoint: 'embeddings', response_model: 'text-embedding-3-small', input_tokens: 4, output_tokens: 0 })
  })

  test('the org API version is the one sent', async () => {
    for (const v of ['2024-06-01', '2024-09-01-preview', '2023-05-15']) {
      expect((await putAzure(lectr, fake.origin, v)).status).toBe(200)
      await azureClient(lectr).chat.completions.create({ model: 'd', messages: [] })
      expect(fake.last.url.searchParams.getAll('api-version')).toEqual([v])
    }
  })

  test("a client's own api-version is replaced by the org's; the rest of its query is passed on", async () => {
    await azureClient(lectr, { defaultQuery: { 'api-version': '2023-05-15', 'x-trace': 'abc' } }).chat.completions.create({ model: 'd', messages: [] })
    expect(fake.last.url.searchParams.getAll('api-version')).toEqual(['2024-10-21'])
    expect(fake.last.url.searchParams.get('x-trace')).toBe('abc')
  })

  test('deployment names with odd characters are one encoded path segment and can never change the path', async () => {
    const rows: [string, string][] = [
      ['../../x', '/openai/deployments/..%2F..%2Fx/chat/completions'],
      ['a/b', '/openai/deployments/a%2Fb/chat/completions'],
      ['%2e%2e', '/openai/deployments/%252e%252e/chat/completions'],
      ['%2e%2e%2f%2e%2e%2fx', '/openai/deployments/%252e%252e%252f%252e%252e%252fx/chat/completions'],
      ['..\\..\\x', '/openai/deployments/..%5C..%5Cx/chat/completions'],
      ['a?api-version=1999-01-01#x', '/openai/deployments/a%3Fapi-version%3D1999-01-01%23x/chat/completions'],
      ['gpt 4o prod', '/openai/deployments/gpt%204o%20prod/chat/completions'],
      ['déploiement', '/openai/deployments/d%C3%A9ploiement/chat/completions'],
      ['gpt-4o.prod', '/openai/deployments/gpt-4o.prod/chat/completions'],
      ['@evil.com', '/openai/deployments/%40evil.com/chat/completions'],
    ]
    for (const [model, pathname] of rows) {
      await azureClient(lectr).chat.completions.create({ model, messages: [] })
      expect(fake.last.url.pathname).toBe(pathname)
      expect(fake.last.url.search).toBe('?api-version=2024-10-21')
      expect(fake.last.url.host).toBe(new URL(fake.origin).host)
    }
  })

  test('dot segments and unpaired surrogates are refused (400) before anything is sent', async () => {
    for (const model of ['.', '..', '...']) {
      const before = fake.received.length
      const err = (await azureClient(lectr).chat.completions.create({ model, messages: [] }).catch((e) => e)) as any
      expect(err.status).toBe(400)
      expect(err.error.message).toContain('deployment name')
      expect(fake.received.length).toBe(before)
    }
    const before = fake.received.length
    const res = await lectr.post('chat/completions', '{"model":"\\ud800","messages":[]}', { 'x-lectr-provider': 'azure' })
    expect(res.status).toBe(400)
    expect(fake.received.length).toBe(before)
  })

  test('no model, or an endpoint the classic API does not serve: 400, nothing sent', async () => {
    const before = fake.received.length
    const noModel = await lectr.post('chat/completions', { messages: [] }, { 'x-lectr-provider': 'azure' })
    expect(noModel.status).toBe(400)
    expect(((await noModel.json()) as any).error.message).toContain('deployment name')
    const responses = await lectr.post('responses', { model: 'd', input: 'hi' }, { 'x-lectr-provider': 'azure' })
    expect(responses.status).toBe(400)
    expect(((await responses.json()) as any).error.message).toContain('"v1"')
    expect(fake.received.length).toBe(before)
  })
})

describe('v1 API (apiVersion "v1"): /openai/v1/{path}, no api-version, model = deployment', () => {
  beforeEach(async () => {
    expect((await putAzure(lectr, fake.origin, 'v1')).status).toBe(200)
  })

  test('chat completions, completions and embeddings', async () => {
    const client = azureClient(lectr)
    await client.chat.completions.create({ model: 'my-prod-deployment', messages: [{ role: 'user', content: 'hi' }] })
    expect(fake.last.url.pathname).toBe('/openai/v1/chat/completions')
    expect(fake.last.url.search).toBe('')
    expect(JSON.parse(fake.last.body).model).toBe('my-prod-deployment')
    expectAzureHeaders(fake.last.headers)

    await client.completions.create({ model: 'instruct', prompt: 'x' }).catch(() => {})
    expect(fake.last.url.pathname).toBe('/openai/v1/completions')
    expect(JSON.parse(fake.last.body).model).toBe('instruct')

    fake.script = () => Response.json({ object: 'list', model: 'text-embedding-3-small', data: [], usage: { prompt_tokens: 1, total_tokens: 1 } })
    await client.embeddings.create({ model: 'embed', input: 'x' }).catch(() => {})
    expect(fake.last.url.pathname).toBe('/openai/v1/embeddings')
    expect(fake.last.url.search).toBe('')
  })

  test("the Responses API and other paths go to /openai/v1 too; a client's api-version is removed", async () => {
    fake.script = () => Response.json({ id: 'resp_1', object: 'response', model: 'gpt-4.1-2025-04-14', output: [], usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } })
    await azureClient(lectr, { defaultQuery: { 'api-version': 'preview' } }).responses.create({ model: 'my-41', input: 'hi' })
    expect(fake.last.url.pathname).toBe('/openai/v1/responses')
    expect(fake.last.url.searchParams.has('api-version')).toBe(false)
    expectAzureHeaders(fake.last.headers)
  })

  test('an odd deployment name stays in the body; the path is fixed', async () => {
    await azureClient(lectr).chat.completions.create({ model: '../../x', messages: [] })
    expect(fake.last.url.pathname).toBe('/openai/v1/chat/completions')
    expect(JSON.parse(fake.last.body).model).toBe('../../x')
  })
})

describe('an endpoint with a path prefix (an API gateway in front of Azure)', () => {
  test('the prefix is kept, /openai/... follows it', async () => {
    expect((await putAzure(lectr, `${fake.origin}/gateway/aoai/`, '2024-10-21')).status).toBe(200)
    await azureClient(lectr).chat.completions.create({ model: 'd', messages: [] })
    expect(fake.last.url.pathname).toBe('/gateway/aoai/openai/deployments/d/chat/completions')
  })
})

describe('no Azure settings for the org', () => {
  test('400 lectr_azure_not_configured with the exact curl line; running that line makes the next request work', async () => {
    await lectr.api('orgs/default/providers/azure', { method: 'DELETE' })
    const before = fake.received.length
    const err = (await azureClient(lectr).chat.completions.create({ model: 'prod', messages: [] }).catch((e) => e)) as any
    expect(err.status).toBe(400)
    expect(err.error.code).toBe('lectr_azure_not_configured')
    expect(err.error.type).toBe('invalid_request_error')
    const curl =
      `curl -X PUT ${lectr.url}/api/orgs/default/providers/azure -H "Authorization: Bearer $LECTR_ADMIN_TOKEN" -H "Content-Type: application/json" ` +
      `-d '{"endpoint":"https://YOUR-RESOURCE.openai.azure.com","apiVersion":"2024-10-21"}'`
    expect(err.error.message).toContain(curl)
    expect(err.error.message).toContain('Settings → Providers → Azure')
    expect(err.error.message).not.toContain(AZURE_KEY)
    expect(fake.received.length).toBe(before)
    const event = await eventOf(lectr, err.headers.get('x-lectr-request-id'))
    expect(event).toMatchObject({ provider: 'azure', status: 400, error_code: 'lectr_azure_not_configured' })

    // Run the line as a shell would: its URL, headers and body, with our endpoint in place of the placeholder.
    const m = curl.match(/^curl -X (\S+) (\S+) -H "([^"]+)" -H "([^"]+)" -d '([^']+)'$/)!
    const [, method, url, auth, contentType, body] = m
    const res = await fetch(url!, {
      method,
      headers: {
        authorization: auth!.replace('Authorization: ', '').replace('$LECTR_ADMIN_TOKEN', 'test-admin-token-0123456789'),
        'content-type': contentType!.replace('Content-Type: ', ''),
      },
      body: body!.replace('https://YOUR-RESOURCE.openai.azure.com', fake.origin),
    })
    expect(res.status).toBe(200)
    await azureClient(lectr).chat.completions.create({ model: 'prod', messages: [] })
    expect(fake.last.url.pathname).toBe('/openai/deployments/prod/chat/completions')
  })
})

describe('azure.target (pure)', () => {
  const base = { baseUrl: 'https://contoso.openai.azure.com', path: '/chat/completions', search: '', model: 'prod', providerKey: 'k', apiVersion: '2024-10-21' }
  test.each([
    ['classic', {}, 'https://contoso.openai.azure.com/openai/deployments/prod/chat/completions?api-version=2024-10-21'],
    ['classic, client query kept, api-version replaced', { search: '?a=1&api-version=2020-01-01' }, 'https://contoso.openai.azure.com/openai/deployments/prod/chat/completions?a=1&api-version=2024-10-21'],
    ['classic, embeddings', { path: '/embeddings' }, 'https://contoso.openai.azure.com/openai/deployments/prod/embeddings?api-version=2024-10-21'],
    ['v1', { apiVersion: 'v1' }, 'https://contoso.openai.azure.com/openai/v1/chat/completions'],
    ['v1, client api-version removed', { apiVersion: 'v1', search: '?api-version=preview&b=2' }, 'https://contoso.openai.azure.com/openai/v1/chat/completions?b=2'],
    ['trailing slash on the endpoint', { baseUrl: 'https://contoso.openai.azure.com/' }, 'https://contoso.openai.azure.com/openai/deployments/prod/chat/completions?api-version=2024-10-21'],
  ])('%s', (_, over, url) => {
    const t = azure.target({ ...base, ...over })
    expect(t).toEqual({ url, setHeaders: { 'api-key': 'k' }, removeHeaders: ['authorization'] })
  })
  test('no client key: no api-key header is invented', () => {
    expect(azure.target({ ...base, providerKey: null })).toMatchObject({ setHeaders: {} })
  })
  test('deploymentNameProblem', () => {
    expect(deploymentNameProblem('prod')).toBeNull()
    expect(deploymentNameProblem('a/b')).toBeNull() // encoded, harmless
    for (const bad of [null, '', '.', '..', '\ud800']) expect(deploymentNameProblem(bad)).toBeString()
  })
})
