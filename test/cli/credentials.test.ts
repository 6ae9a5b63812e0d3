import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from '../dashboard/_client'
// the CLI runs in a child process while this process's server goes on serving
import { runCli as cli } from '../helpers/cli'
import { FakeUpstream } from '../helpers/fake-upstream'
import { fetchFrom } from '../helpers/from-address'
import { answerOf } from '../helpers/json'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

/** Polls until `ok` answers true; the time it took in ms (fails the test past `limitMs`). */
async function within(limitMs: number, ok: () => Promise<boolean>): Promise<number> {
  const start = Date.now()
  while (!(await ok())) {
    if (Date.now() - start > limitMs) throw new Error(`not in force within ${limitMs} ms`)
    await Bun.sleep(50)
  }
  return Date.now() - start
}

const chat = (key: string) =>
  fetch(`${lectr.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer provider-key', 'x-lectr-key': key },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  })

describe('lost credentials, recovered from a shell while the server runs', () => {
  test('keys create --org prints a new key that the running server accepts within 2 s', async () => {
    const r = await cli(['keys', 'create', '--org', 'default', '--label', 'from the shell'], { LECTR_DB: lectr.dbPath })
    expect(r.code).toBe(0)
    const key = r.out.trim()
    expect(key).toMatch(/^\S+$/)
    expect(r.err).toContain('shown once, stored hashed')
    await within(2000, async () => (await chat(key)).status === 200)
    const keys = await answerOf(await lectr.api('orgs/default/keys'), 'keys')
    expect(keys.keys.map((k) => k.label)).toContain('from the shell')
    // the org's name works as well as its id
    const byName = await cli(['keys', 'create', '--org=default', '--db', lectr.dbPath])
    expect(byName.code).toBe(0)
  })

  test('keys create: an unknown org, a missing --org, an unknown flag or a missing database change nothing', async () => {
    const unknown = await cli(['keys', 'create', '--org', 'nobody', '--db', lectr.dbPath])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('no org "nobody"; the orgs are: default')
    expect(unknown.out).toBe('')
    const noOrg = await cli(['keys', 'create', '--db', lectr.dbPath])
    expect(noOrg.code).toBe(2)
    expect(noOrg.err).toContain('--org is required')
    const flag = await cli(['keys', 'create', '--org', 'default', '--nope', '--db', lectr.dbPath])
    expect(flag.code).toBe(2)
    expect(flag.err).toContain('unknown flag --nope')
    const missing = await cli(['keys', 'create', '--org', 'default', '--db', join(lectr.dir, 'typo.db')])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('no database at')
    expect(readdirSync(lectr.dir)).not.toContain('typo.db')
  })

  test('admin-token reset prints a new token: the running server takes it and refuses the old one within 2 s', async () => {
    expect((await lectr.api('orgs')).status).toBe(200)
    const r = await cli(['admin-token', 'reset', '--db', lectr.dbPath], { LECTR_ADMIN_TOKEN: ADMIN_TOKEN })
    expect(r.code).toBe(0)
    const token = r.out.trim()
    expect(token).toMatch(/^\S{16,}$/)
    expect(token).not.toBe(ADMIN_TOKEN)
    // This shell had LECTR_ADMIN_TOKEN set: the output says that token would win at the next start.
    expect(r.err).toContain('LECTR_ADMIN_TOKEN is set')
    await within(2000, async () => (await fetch(`${lectr.url}/api/orgs`, { headers: { authorization: `Bearer ${token}` } })).status === 200)
    const old = await fetchFrom('127.0.0.77', `${lectr.url}/api/orgs`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expect(old.status).toBe(401)
    // the dashboard signs in with it too
    const client = Client.http(lectr.url)
    expect((await client.signIn(token)).status).toBe(303)
    expect((await client.page('/events')).res.status).toBe(200)
  })

  test('admin-token: anything but reset is a usage error', async () => {
    const r = await cli(['admin-token', 'show', '--db', lectr.dbPath])
    expect(r.code).toBe(2)
    expect(r.err).toContain('usage: lectr admin-token reset')
  })
})
