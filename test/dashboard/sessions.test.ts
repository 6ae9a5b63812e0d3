/**
 * Sessions belong to the admin token that signed them in (issue 15): a restart with a new LECTR_ADMIN_TOKEN ends
 * every session of the old one, and "Sign out everywhere" (dashboard form, or `POST /api/sessions/revoke`) ends
 * every session at once. Over real sockets, with one database kept across restarts.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sessionTagOf } from '../../src/auth/admin-token'
import { hashSecret } from '../../src/auth/secrets'
import { parseConfig } from '../../src/config'
import { openSqliteStorage } from '../../src/storage'
import { MIGRATIONS } from '../../src/db/migrations'
import { openDatabase } from '../../src/db/open'
import { startServer, type Running } from '../../src/server'
import { Client } from './_client'
import { errorOf } from '../helpers/json'

const OLD_TOKEN = 'sessions-old-admin-token-0123456789'
const NEW_TOKEN = 'sessions-new-admin-token-9876543210'

const dirs: string[] = []
const running: Running[] = []

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function newDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lectr-sessions-'))
  dirs.push(dir)
  return join(dir, 'lectr.db')
}

/** A real Lectr on 127.0.0.1:0 over `dbPath` with `adminToken`. */
async function start(dbPath: string, adminToken: string): Promise<Running> {
  const parsed = parseConfig([], { LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: dbPath, LECTR_ADMIN_TOKEN: adminToken })
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  const r = await startServer(parsed.config, { log: () => {} })
  running.push(r)
  return r
}

async function stop(r: Running): Promise<void> {
  running.splice(running.indexOf(r), 1)
  await r.stop()
}

/** The same browser (its cookies) pointed at another server: the port changes with each start. */
function sameBrowser(client: Client, url: string): Client {
  const moved = Client.http(url)
  for (const [k, v] of client.cookies) moved.cookies.set(k, v)
  return moved
}

describe('a new admin token ends the sessions of the old one', () => {
  test('a cookie from before a restart with a new LECTR_ADMIN_TOKEN no longer opens Settings → Keys', async () => {
    const dbPath = newDbPath()
    let lectr = await start(dbPath, OLD_TOKEN)
    let browser = Client.http(lectr.url)
    expect((await browser.signIn(OLD_TOKEN)).status).toBe(303)
    expect((await browser.get('/settings/keys')).status).toBe(200)

    // Restarted with the same token: still signed in.
    await stop(lectr)
    lectr = await start(dbPath, OLD_TOKEN)
    browser = sameBrowser(browser, lectr.url)
    expect((await browser.get('/settings/keys')).status).toBe(200)

    // Restarted with a new token: sent to sign in, and the keys page is not shown.
    await stop(lectr)
    lectr = await start(dbPath, NEW_TOKEN)
    browser = sameBrowser(browser, lectr.url)
    const res = await browser.get('/settings/keys')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/signin?next=%2Fsettings%2Fkeys')
    expect(await res.text()).not.toContain('Org keys')
    // Its POSTs are refused too, nothing created.
    expect((await browser.post('/settings/keys', { label: 'x', _csrf: 'anything' })).status).toBe(401)

    // Going back to the old token does not bring the session back: it was deleted when seen.
    await stop(lectr)
    lectr = await start(dbPath, OLD_TOKEN)
    browser = sameBrowser(browser, lectr.url)
    expect((await browser.get('/settings/keys')).status).toBe(303)

    // The token in force signs in as usual.
    expect((await browser.signIn(OLD_TOKEN)).status).toBe(303)
    expect((await browser.get('/settings/keys')).status).toBe(200)
  })

  test('the database stores a tag derived from the token hash, never the token or its hash', async () => {
    const dbPath = newDbPath()
    const lectr = await start(dbPath, OLD_TOKEN)
    expect((await Client.http(lectr.url).signIn(OLD_TOKEN)).status).toBe(303)
    const db = new Database(dbPath, { readonly: true })
    try {
      const rows = db.query('SELECT token_tag FROM sessions').all() as { token_tag: string }[]
      expect(rows).toEqual([{ token_tag: sessionTagOf(hashSecret(OLD_TOKEN)) }])
      const everything = JSON.stringify(db.query('SELECT * FROM sessions').all())
      expect(everything).not.toContain(OLD_TOKEN)
      expect(everything).not.toContain(hashSecret(OLD_TOKEN))
    } finally {
      db.close()
    }
  })

  test('a database from before the tag opens; its sessions are ended, everything else is kept', async () => {
    const dbPath = newDbPath()
    const old = new Database(dbPath, { create: true, strict: true })
    old.exec(MIGRATIONS[0]!)
    old.exec('PRAGMA user_version = 1')
    old.query('INSERT INTO sessions (id_hash, csrf, org_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(hashSecret('old-cookie'), 'csrf', null, Date.now(), Date.now() + 3_600_000)
    old.query("INSERT INTO meta (key, value) VALUES ('admin_token_hash', ?)").run(hashSecret(OLD_TOKEN))
    old.close()

    const db = openDatabase(dbPath)
    try {
      expect((db.query('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(MIGRATIONS.length)
      expect(db.query('SELECT value FROM meta').get()).toEqual({ value: hashSecret(OLD_TOKEN) })
      const sessions = openSqliteStorage(db).settings.sessions
      const tag = sessionTagOf(hashSecret(OLD_TOKEN))
      expect(await sessions.find('old-cookie', Date.now(), tag)).toBeNull()
      const { id } = await sessions.create(null, Date.now(), tag)
      expect(await sessions.find(id, Date.now(), tag)).not.toBeNull()
    } finally {
      db.close()
    }
  })
})

describe('sign out everywhere', () => {
  test('the dashboard control ends another browser\'s session', async () => {
    const lectr = await start(newDbPath(), OLD_TOKEN)
    const laptop = Client.http(lectr.url)
    const phone = Client.http(lectr.url)
    expect((await laptop.signIn(OLD_TOKEN)).status).toBe(303)
    expect((await phone.signIn(OLD_TOKEN)).status).toBe(303)
    const { html } = await laptop.page('/settings/keys')
    // The control is on every signed-in page: a POST form carrying the session's CSRF token.
    expect(html).toContain('<form class="sign-out-everywhere" method="post" action="/signout/everywhere"')
    expect(html).toMatch(/action="\/signout\/everywhere"[^>]*>\s*<input type="hidden" name="_csrf" value="[A-Za-z0-9_-]{43}">/)
    expect((await phone.get('/settings/keys')).status).toBe(200)

    // Without the CSRF token, or from another site, it is refused and ends nothing.
    expect((await laptop.post('/signout/everywhere', { _csrf: 'x'.repeat(43) })).status).toBe(403)
    expect((await laptop.post('/signout/everywhere', {}, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await phone.get('/settings/keys')).status).toBe(200)

    const res = await laptop.post('/signout/everywhere')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/signin')
    expect(res.headers.getSetCookie().find((c) => c.startsWith('lectr_session='))).toContain('Max-Age=0')
    const phoneNow = await phone.get('/settings/keys')
    expect(phoneNow.status).toBe(303)
    expect(phoneNow.headers.get('location')).toBe('/signin?next=%2Fsettings%2Fkeys')
    expect((await laptop.get('/settings/keys')).status).toBe(303)
  })

  test('POST /api/sessions/revoke (admin token) ends every session and says how many', async () => {
    const lectr = await start(newDbPath(), OLD_TOKEN)
    const a = Client.http(lectr.url)
    const b = Client.http(lectr.url)
    await a.signIn(OLD_TOKEN)
    await b.signIn(OLD_TOKEN)
    const revoke = (auth: string | null) =>
      fetch(`${lectr.url}/api/sessions/revoke`, { method: 'POST', headers: auth ? { authorization: auth } : {} })

    for (const auth of [null, 'Bearer wrong-token']) {
      const refused = await revoke(auth)
      expect(refused.status).toBe(401)
      expect((await errorOf(refused)).error.code).toBe('lectr_unauthorized')
    }
    expect((await a.get('/settings/keys')).status).toBe(200)

    const res = await revoke(`Bearer ${OLD_TOKEN}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ revoked: 2 })
    expect((await a.get('/settings/keys')).status).toBe(303)
    expect((await b.get('/settings/keys')).status).toBe(303)
    expect(await (await revoke(`Bearer ${OLD_TOKEN}`)).json()).toEqual({ revoked: 0 })
  })
})
