import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { checkAzureBody } from '../../src/operations/azure'
import { startLectr, type TestLectr } from '../helpers/lectr'

// The admin API for an org's Azure settings: GET / PUT {endpoint, apiVersion} / DELETE /api/orgs/:org/providers/azure.
// This Lectr runs with LECTR_ALLOW_PRIVATE_UPSTREAMS unset (0); the SSRF forms have their own file.
let lectr: TestLectr
const path = 'orgs/default/providers/azure'
const put = (body: unknown, org = 'default') =>
  lectr.api(`orgs/${org}/providers/azure`, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) })

beforeAll(async () => {
  lectr = await startLectr(null, {}, { LECTR_ALLOW_PRIVATE_UPSTREAMS: '0' })
})
afterAll(() => lectr.stop())
beforeEach(async () => {
  await lectr.api(path, { method: 'DELETE' })
})

describe('GET / PUT / DELETE', () => {
  test('not configured: GET is a 404 lectr_azure_not_configured', async () => {
    const res = await lectr.api(path)
    expect(res.status).toBe(404)
    expect(((await res.json()) as any).error.code).toBe('lectr_azure_not_configured')
  })

  test('PUT then GET round-trips; a second PUT replaces; DELETE removes', async () => {
    const res = await put({ endpoint: 'https://contoso.openai.azure.com', apiVersion: '2024-10-21' })
    expect(res.status).toBe(200)
    const saved = (await res.json()) as any
    expect(saved).toMatchObject({ endpoint: 'https://contoso.openai.azure.com', apiVersion: '2024-10-21' })
    expect(Date.parse(saved.updatedAt)).not.toBeNaN()
    expect(await (await lectr.api(path)).json()).toEqual(saved)

    expect((await put({ endpoint: 'https://fabrikam.openai.azure.com', apiVersion: 'v1' })).status).toBe(200)
    expect(await (await lectr.api(path)).json()).toMatchObject({ endpoint: 'https://fabrikam.openai.azure.com', apiVersion: 'v1' })

    const del = await lectr.api(path, { method: 'DELETE' })
    expect(del.status).toBe(200)
    expect(await del.json()).toEqual({ deleted: true })
    expect((await lectr.api(path)).status).toBe(404)
    expect((await lectr.api(path, { method: 'DELETE' })).status).toBe(404)
  })

  test('every API version form Azure uses is accepted', async () => {
    for (const apiVersion of ['2024-10-21', '2024-09-01-preview', '2024-06-01', '2024-02-01', '2023-05-15', '2025-04-01-preview', 'v1']) {
      const res = await put({ endpoint: 'https://contoso.openai.azure.com', apiVersion })
      expect(res.status).toBe(200)
      expect(((await (await lectr.api(path)).json()) as any).apiVersion).toBe(apiVersion)
    }
  })

  test('the endpoint is normalised: lower-case host, no trailing slash; a trailing /openai or /openai/v1 copied from Azure is dropped', async () => {
    const rows: [string, string][] = [
      ['https://Contoso.OpenAI.Azure.com/', 'https://contoso.openai.azure.com'],
      ['https://contoso.openai.azure.com/openai', 'https://contoso.openai.azure.com'],
      ['https://contoso.openai.azure.com/openai/v1/', 'https://contoso.openai.azure.com'],
      ['https://contoso.openai.azure.com:443', 'https://contoso.openai.azure.com'],
      ['https://contoso.openai.azure.com:8443/', 'https://contoso.openai.azure.com:8443'],
      // any other path is kept: an API gateway in front of Azure
      ['https://gw.example.com/azure-openai/', 'https://gw.example.com/azure-openai'],
      ['https://gw.example.com/a/../b', 'https://gw.example.com/b'],
    ]
    for (const [endpoint, stored] of rows) {
      const res = await put({ endpoint, apiVersion: '2024-10-21' })
      expect(res.status).toBe(200)
      expect(((await res.json()) as any).endpoint).toBe(stored)
    }
  })

  test('unknown org: 404 lectr_not_found on every method, nothing created', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await lectr.api('orgs/no-such-org/providers/azure', {
        method,
        ...(method === 'PUT' ? { body: JSON.stringify({ endpoint: 'https://contoso.openai.azure.com', apiVersion: '2024-10-21' }) } : {}),
      })
      expect(res.status).toBe(404)
      expect(((await res.json()) as any).error.code).toBe('lectr_not_found')
    }
  })

  test('another org has its own settings', async () => {
    const org = (await (await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'Acme Azure' }) })).json()) as any
    expect((await put({ endpoint: 'https://acme.openai.azure.com', apiVersion: 'v1' }, org.id)).status).toBe(200)
    expect((await lectr.api(path)).status).toBe(404)
    expect(((await (await lectr.api(`orgs/${org.id}/providers/azure`)).json()) as any).endpoint).toBe('https://acme.openai.azure.com')
  })

  test('without the admin token: 401 on every method', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${lectr.url}/api/${path}`, { method, headers: { authorization: 'Bearer wrong' } })
      expect(res.status).toBe(401)
    }
  })
})

describe('a bad body: 400 listing every problem, nothing changed', () => {
  const cases: [string, unknown, string[]][] = [
    ['empty object', {}, ['/endpoint', '/apiVersion']],
    ['both wrong types', { endpoint: 42, apiVersion: null }, ['/endpoint', '/apiVersion']],
    ['bad version and a private endpoint', { endpoint: 'https://10.0.0.1', apiVersion: '2024-13' }, ['/apiVersion', '10.0.0.1']],
    ['plain http, user info, query and fragment at once', { endpoint: 'http://u:p@contoso.openai.azure.com/?a=1#f', apiVersion: '2024-10-21' }, ['https://', 'user info', 'query', 'fragment']],
    ['an unknown field', { endpoint: 'https://contoso.openai.azure.com', apiVersion: '2024-10-21', key: 'sk-1' }, ['/key']],
    ['not a URL', { endpoint: 'contoso', apiVersion: 'latest' }, ['not a URL', '/apiVersion']],
    ['empty strings', { endpoint: '', apiVersion: '' }, ['/endpoint', '/apiVersion']],
    ['an array', [], ['/']],
  ]
  test.each(cases)('%s', async (_, body, mentions) => {
    expect((await put({ endpoint: 'https://keep.openai.azure.com', apiVersion: '2024-06-01' })).status).toBe(200)
    const res = await put(body)
    expect(res.status).toBe(400)
    const err = ((await res.json()) as any).error
    expect(err.code).toBe('lectr_invalid_body')
    const problems: string[] = err.problems
    for (const m of mentions) expect(problems.some((p) => p.includes(m))).toBe(true)
    expect(problems.length).toBeGreaterThanOrEqual(mentions.length)
    // nothing changed
    expect(await (await lectr.api(path)).json()).toMatchObject({ endpoint: 'https://keep.openai.azure.com', apiVersion: '2024-06-01' })
  })

  test('not JSON, or no body: 400, nothing changed', async () => {
    expect((await put({ endpoint: 'https://keep.openai.azure.com', apiVersion: '2024-06-01' })).status).toBe(200)
    for (const body of ['{"endpoint":', '']) {
      const res = await put(body)
      expect(res.status).toBe(400)
      expect(((await res.json()) as any).error.problems.length).toBe(1)
    }
    expect(((await (await lectr.api(path)).json()) as any).endpoint).toBe('https://keep.openai.azure.com')
  })
})

describe('checkAzureBody (the same check the dashboard form uses)', () => {
  test('lists the endpoint and API version problems together', () => {
    const r = checkAzureBody({ endpoint: 'https://127.0.0.1', apiVersion: 'yesterday' }, false)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.problems.length).toBe(2)
  })
  test('allowPrivate lets loopback and plain http through, never user info', () => {
    expect(checkAzureBody({ endpoint: 'http://127.0.0.1:9999', apiVersion: 'v1' }, true)).toEqual({ ok: true, endpoint: 'http://127.0.0.1:9999', apiVersion: 'v1' })
    expect(checkAzureBody({ endpoint: 'http://u@127.0.0.1:9999', apiVersion: 'v1' }, true).ok).toBe(false)
  })
})
