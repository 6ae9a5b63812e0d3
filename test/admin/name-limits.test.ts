/**
 * Length limits on the names the admin API stores (issue 15): over the limit is a 400 that lists every problem,
 * and nothing is created. Real Lectr, real sockets; the dashboard's keys form over the same socket.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { answerOf, errorOf } from '../helpers/json'
import { Client } from '../dashboard/_client'
import { openDatabase } from '../../src/db/open'
import { openSqliteStorage } from '../../src/storage'

let lectr: TestLectr

beforeAll(async () => {
  lectr = await startLectr(null)
})
afterAll(async () => {
  await lectr.stop()
})

async function orgs(): Promise<{ id: string; name: string }[]> {
  return (await answerOf(await lectr.api('orgs'), 'orgs')).orgs
}
async function keys(org = 'default'): Promise<unknown[]> {
  return (await answerOf(await lectr.api(`orgs/${org}/keys`), 'keys')).keys
}

describe('org names', () => {
  test('a name of 65 characters: 400 with the problem listed, no org created', async () => {
    const before = await orgs()
    const res = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'a'.repeat(65) }) })
    expect(res.status).toBe(400)
    const body = await errorOf(res)
    expect(body.error.code).toBe('lectr_invalid_body')
    expect(body.error.type).toBe('invalid_request_error')
    expect(body.error.problems).toEqual(['/name: Expected string length less or equal to 64'])
    expect(await orgs()).toEqual(before)
  })

  test('a 1 MB name and an unknown field: both problems listed, no org created, the name not echoed', async () => {
    const before = await orgs()
    const res = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'b'.repeat(1_000_000), colour: 'red' }) })
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text.length).toBeLessThan(2000)
    const problems: string[] = JSON.parse(text).error.problems
    expect(problems).toContain('/name: Expected string length less or equal to 64')
    expect(problems.some((p) => p.includes('colour'))).toBe(true)
    expect(await orgs()).toEqual(before)
  })

  test('a name of exactly 64 characters is created', async () => {
    const name = 'Org ' + 'c'.repeat(60)
    const res = await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name }) })
    expect(res.status).toBe(201)
    expect((await orgs()).some((o) => o.name === name)).toBe(true)
  })
})

describe('key labels', () => {
  test('a label of 101 characters: 400 with the problem listed, no key added', async () => {
    const before = await keys()
    const res = await lectr.api('orgs/default/keys', { method: 'POST', body: JSON.stringify({ label: 'k'.repeat(101) }) })
    expect(res.status).toBe(400)
    const body = await errorOf(res)
    expect(body.error.code).toBe('lectr_invalid_body')
    expect(body.error.problems).toEqual(['/label: Expected string length less or equal to 100'])
    expect(await keys()).toEqual(before)
  })

  test('the dashboard form: a 4,000-character label is refused, no key added', async () => {
    const before = await keys()
    const client = Client.http(lectr.url)
    expect((await client.signIn()).status).toBe(303)
    await client.page('/settings/keys')
    const res = await client.post('/settings/keys', { label: 'k'.repeat(4000) })
    expect(res.status).toBe(400)
    const html = await res.text()
    expect(html).toContain('longer than 100 characters; no key was created')
    expect(html).not.toContain('k'.repeat(101))
    expect(await keys()).toEqual(before)
  })
})

describe('Azure endpoint', () => {
  test('an endpoint over 2048 characters: 400 with the length problem only, nothing saved', async () => {
    const endpoint = `https://${'a'.repeat(3000)}.openai.azure.com`
    const res = await lectr.api('orgs/default/providers/azure', { method: 'PUT', body: JSON.stringify({ endpoint, apiVersion: '2024-10-21' }) })
    expect(res.status).toBe(400)
    const body = await errorOf(res)
    expect(body.error.problems).toEqual(['/endpoint: Expected string length less or equal to 2048'])
    expect((await lectr.api('orgs/default/providers/azure')).status).toBe(404)
  })
})

describe('the org store itself', () => {
  test('refuses an over-long name, label or Azure endpoint from any caller, and stores nothing', async () => {
    const db = openDatabase(':memory:')
    const store = openSqliteStorage(db).orgs
    await store.ensureDefault()
    const count = (table: string) => (db.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    const before = { orgs: count('orgs'), keys: count('org_keys') }
    await expect(store.create('n'.repeat(65))).rejects.toThrow(RangeError)
    await expect(store.addKey('default', 'l'.repeat(101))).rejects.toThrow(RangeError)
    await expect(store.putAzure('default', `https://${'e'.repeat(2048)}`, 'v1')).rejects.toThrow(RangeError)
    expect({ orgs: count('orgs'), keys: count('org_keys') }).toEqual(before)
    expect(count('azure_settings')).toBe(0)
    db.close()
  })
})
