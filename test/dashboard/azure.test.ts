/** Settings → Azure: the form saves what the admin API would, and refuses what it would, with the same messages. */
import { describe, expect, test } from 'bun:test'
import { checkAzureBody } from '../../src/operations/azure'
import { fieldErrors } from '../../src/dashboard/azure'
import { memoryLectr } from './_app'

async function signedIn() {
  const lectr = memoryLectr({ allowPrivateUpstreams: false })
  const client = lectr.client()
  await client.signIn()
  await client.page('/settings/azure')
  return { lectr, client }
}

describe('Azure settings form', () => {
  const refused: [name: string, endpoint: string, apiVersion: string, field: string, message: RegExp][] = [
    ['plain http to a loopback address', 'http://127.0.0.1', '2024-10-21', 'endpoint', /must start with https:\/\//],
    ['a loopback address over https', 'https://127.0.0.1', '2024-10-21', 'endpoint', /loopback, private/],
    ['user info in the URL', 'https://user@x.openai.azure.com', '2024-10-21', 'endpoint', /must not contain user info/],
    ['a query', 'https://x.openai.azure.com/?a=1', '2024-10-21', 'endpoint', /must not contain a query/],
    ['not a URL', 'x.openai.azure.com', '2024-10-21', 'endpoint', /not a URL/],
    ['an empty endpoint', '', '2024-10-21', 'endpoint', /./],
    ['a made-up API version', 'https://x.openai.azure.com', 'latest', 'apiVersion', /./],
  ]
  for (const [name, endpoint, apiVersion, field, message] of refused) {
    test(`refused: ${name}`, async () => {
      const { lectr, client } = await signedIn()
      const res = await client.post('/settings/azure', { endpoint, apiVersion })
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('The settings were not saved.')
      expect(html).toContain(`id="${field}-errors"`)
      // The same problems the admin API reports, word for word.
      const api = checkAzureBody({ endpoint, apiVersion }, false)
      expect(api.ok).toBe(false)
      const problems = fieldErrors((api as { problems: string[] }).problems)
      expect(problems.some((p) => p.field === field && message.test(p.message))).toBe(true)
      for (const p of problems) expect(html).toContain(Bun.escapeHTML(p.message))
      // The form keeps what was typed, escaped.
      expect(html).toContain(`value="${Bun.escapeHTML(endpoint)}"`)
      expect(await lectr.orgs.getAzure('default')).toBeNull()
    })
  }

  test('saved: normalised like the API, shown after a redirect; removed again', async () => {
    const { lectr, client } = await signedIn()
    const res = await client.post('/settings/azure', { endpoint: ' https://my-res.openai.azure.com/ ', apiVersion: '2024-10-21' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/settings/azure?done=saved')
    expect(await lectr.orgs.getAzure('default')).toMatchObject({ endpoint: 'https://my-res.openai.azure.com', apiVersion: '2024-10-21' })
    const { html } = await client.page('/settings/azure?done=saved')
    expect(html).toContain('Azure settings saved.')
    expect(html).toContain('Configured: <code>https://my-res.openai.azure.com</code>')
    expect(html).toContain('action="/settings/azure/delete"')

    const removed = await client.post('/settings/azure/delete')
    expect(removed.headers.get('location')).toBe('/settings/azure?done=removed')
    expect(await lectr.orgs.getAzure('default')).toBeNull()
    expect((await client.page('/settings/azure?done=removed')).html).toContain('Azure settings removed.')
  })

  test('each org has its own settings', async () => {
    const { lectr, client } = await signedIn()
    await lectr.orgs.create('Acme')
    await client.post('/orgs/switch', { org: 'acme', next: '/settings/azure' })
    await client.page('/settings/azure')
    await client.post('/settings/azure', { endpoint: 'https://acme.openai.azure.com', apiVersion: 'v1' })
    expect((await lectr.orgs.getAzure('acme'))?.apiVersion).toBe('v1')
    expect(await lectr.orgs.getAzure('default')).toBeNull()
  })
})
