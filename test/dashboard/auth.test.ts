/**
 * Sign-in, sessions and the checks every dashboard route makes: unauthenticated requests are sent to sign in
 * (pages) or refused with 401 (fragments, POSTs); every POST needs the session's CSRF token and must not come
 * from another site; `next` never leaves Lectr; failed sign-ins are slowed down. In memory, with a test clock.
 */
import { describe, expect, test } from 'bun:test'
import { hashSecret } from '../../src/auth/secrets'
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/http'
import { ADMIN_TOKEN } from '../helpers/lectr'
import { memoryLectr } from './_app'
import { Client } from './_client'
import { errorOf } from '../helpers/json'

const PAGES = ['/', '/?range=7d', '/models', '/models?provider=openai&range=30d', '/events', '/events?status=error', '/events/0190f3a2-0000-7000-8000-000000000000', '/recommendations', '/settings/azure', '/settings/keys', '/registry']
const FRAGMENTS = ['/models?provider=openai', '/events?status=error']
const POSTS: [path: string, fields: Record<string, string>][] = [
  ['/signout', {}],
  ['/signout/everywhere', {}],
  ['/orgs/switch', { org: 'default', next: '/' }],
  ['/settings/azure', { endpoint: 'https://res.openai.azure.com', apiVersion: '2024-10-21' }],
  ['/settings/azure/delete', {}],
  ['/settings/keys', { label: 'ci' }],
  ['/settings/keys/nope/revoke', {}],
  ['/registry/reload', {}],
]

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
  expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  expect(res.headers.get('referrer-policy')).toBe('same-origin')
  expect(res.headers.get('x-frame-options')).toBe('DENY')
}

async function signedIn() {
  const lectr = memoryLectr()
  const client = lectr.client()
  expect((await client.signIn()).status).toBe(303)
  await client.page('/')
  return { lectr, client }
}

describe('without a session', () => {
  const lectr = memoryLectr()
  const client = lectr.client()

  for (const path of PAGES) {
    test(`GET ${path}: 303 to sign-in, coming back here`, async () => {
      const res = await client.get(path)
      expect(res.status).toBe(303)
      const location = res.headers.get('location')!
      expect(location).toBe(path === '/' ? '/signin' : `/signin?next=${encodeURIComponent(path)}`)
      expectSecurityHeaders(res)
      expect(res.headers.get('cache-control')).toBe('no-store')
    })
  }

  for (const path of FRAGMENTS) {
    test(`htmx GET ${path}: 401 with HX-Redirect to sign-in, no table`, async () => {
      const res = await client.get(path, { 'hx-request': 'true' })
      expect(res.status).toBe(401)
      expect(res.headers.get('hx-redirect')).toStartWith('/signin?next=')
      expect(await res.text()).not.toContain('<table')
      expectSecurityHeaders(res)
    })
  }

  for (const [path, fields] of POSTS) {
    test(`POST ${path}: 401, nothing changed`, async () => {
      const res = await client.post(path, { ...fields, _csrf: 'anything' })
      expect(res.status).toBe(401)
      expectSecurityHeaders(res)
      expect(await lectr.orgs.listKeys('default')).toHaveLength(1)
      expect(await lectr.orgs.getAzure('default')).toBeNull()
    })
  }

  test('a made-up or stale session cookie is no session', async () => {
    for (const cookie of ['lectr_session=made-up', 'lectr_session=', `lectr_session=${'x'.repeat(5000)}`]) {
      const res = await client.get('/models', { cookie })
      expect(res.status).toBe(303)
    }
  })

  test('the sign-in page itself is open, with the security headers and a form token cookie for /signin only', async () => {
    const res = await client.get('/signin?next=/models')
    expect(res.status).toBe(200)
    expectSecurityHeaders(res)
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('lectr_signin='))!
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/signin')
    const html = await res.text()
    expect(html).toContain('name="next" value="/models"')
    expect(html).toContain(`name="_csrf" value="${cookie.split(';')[0]!.split('=')[1]}"`)
  })
})

describe('sign-in', () => {
  test('the admin token signs in: a new random session, stored only as its SHA-256, in an HttpOnly SameSite=Strict cookie', async () => {
    const lectr = memoryLectr()
    const client = lectr.client()
    const res = await client.signIn(ADMIN_TOKEN, '/models?range=30d')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/models?range=30d')
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('lectr_session='))!
    expect(cookie).toMatch(/^lectr_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/)
    const id = client.cookies.get('lectr_session')!
    const rows = lectr.db.query('SELECT * FROM sessions').all() as { id_hash: string; expires_at: number; created_at: number }[]
    expect(rows).toHaveLength(1)
    expect(rows[0]!.id_hash).toBe(hashSecret(id))
    expect(JSON.stringify(rows)).not.toContain(id)
    expect(rows[0]!.expires_at - rows[0]!.created_at).toBe(12 * 3_600_000)
    expect(client.cookies.has('lectr_signin')).toBe(false)
    expect((await client.get('/models')).status).toBe(200)
  })

  test('over https (directly or behind a proxy saying X-Forwarded-Proto: https) the cookie is Secure', async () => {
    const lectr = memoryLectr()
    const client = lectr.client()
    await client.page('/signin')
    const res = await client.post('/signin', { token: ADMIN_TOKEN }, { 'x-forwarded-proto': 'https' })
    expect(res.headers.getSetCookie().find((c) => c.startsWith('lectr_session='))).toEndWith('; Secure')
  })

  test('a wrong token: 401, the form again with an error, no session', async () => {
    const lectr = memoryLectr()
    const client = lectr.client()
    const res = await client.signIn('wrong-token-wrong-token')
    expect(res.status).toBe(401)
    expect(await res.text()).toContain('That token is not valid.')
    expect(client.cookies.has('lectr_session')).toBe(false)
    expect(lectr.db.query('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 })
  })

  test('without the form token, with another one, or from another site: 403 and no session, even with the right admin token', async () => {
    const lectr = memoryLectr()
    const client = lectr.client()
    await client.page('/signin')
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ _csrf: '' }, {}],
      [{ _csrf: 'not-the-token' }, {}],
      [{}, { origin: 'https://evil.example' }],
      [{}, { origin: 'null' }],
      [{}, { 'sec-fetch-site': 'cross-site' }],
      [{}, { 'sec-fetch-site': 'same-site' }],
    ]
    for (const [fields, headers] of attempts) {
      const res = await client.post('/signin', { token: ADMIN_TOKEN, ...fields }, headers)
      expect(res.status).toBe(403)
      expect(client.cookies.has('lectr_session')).toBe(false)
      await client.page('/signin')
    }
    // No form cookie at all (a bookmarked form, cookies cleared).
    client.cookies.clear()
    expect((await client.post('/signin', { token: ADMIN_TOKEN, _csrf: 'x' })).status).toBe(403)
    expect(lectr.db.query('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 })
  })

  test('failed sign-ins are slowed down: 5 free, then a lock-out doubling from 1 s that even the right token cannot pass', async () => {
    const lectr = memoryLectr()
    const client = lectr.client()
    for (let i = 1; i <= 5; i++) expect((await client.signIn('wrong-token-wrong-token')).status).toBe(401)
    // The 6th failure starts a 1 s lock-out.
    expect((await client.signIn('wrong-token-wrong-token')).status).toBe(401)
    const locked = await client.signIn(ADMIN_TOKEN)
    expect(locked.status).toBe(429)
    expect(locked.headers.get('retry-after')).toBe('1')
    expect(await locked.text()).toContain('Too many failed sign-ins. Try again in 1 second.')
    expect(client.cookies.has('lectr_session')).toBe(false)

    lectr.advance(1000)
    // The 7th failure doubles it.
    expect((await client.signIn('wrong-token-wrong-token')).status).toBe(401)
    expect((await client.signIn(ADMIN_TOKEN)).headers.get('retry-after')).toBe('2')
    lectr.advance(1999)
    expect((await client.signIn(ADMIN_TOKEN)).status).toBe(429)
    lectr.advance(1)
    // Once the lock-out has passed the right token works, and clears the count.
    expect((await client.signIn(ADMIN_TOKEN)).status).toBe(303)
    const other = lectr.client()
    for (let i = 1; i <= 5; i++) expect((await other.signIn('wrong-token-wrong-token')).status).toBe(401)
  })

  test('a counter is forgotten 15 minutes after the last failure', async () => {
    const lectr = memoryLectr()
    const client = lectr.client()
    for (let i = 1; i <= 6; i++) await client.signIn('wrong-token-wrong-token')
    expect((await client.signIn(ADMIN_TOKEN)).status).toBe(429)
    lectr.advance(15 * 60_000 + 1)
    for (let i = 1; i <= 5; i++) expect((await client.signIn('wrong-token-wrong-token')).status).toBe(401)
    expect((await client.signIn(ADMIN_TOKEN)).status).toBe(303)
  })

  test('signed in already, /signin goes on to next', async () => {
    const { client } = await signedIn()
    const res = await client.get('/signin?next=/registry')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/registry')
  })
})

describe('next never leaves Lectr', () => {
  const HOSTILE_NEXT = [
    '//evil.example', '//evil.example/models', '/\\evil.example', '\\\\evil.example', 'https://evil.example', 'http:/evil.example', 'javascript:alert(1)',
    ' /models', '/%0d%0aSet-Cookie:x=1', '/\t/evil.example', '/signout', 'models',
    // issue 15: these answered `Location: //evil.example/x`
    '/.//evil.example/x', '/x/..//evil.example', '/%2e//evil.example', '/%5cevil.example', '%2f%2fevil.example',
  ]

  for (const next of HOSTILE_NEXT) {
    test(`sign-in with next=${JSON.stringify(next)} lands on a local page`, async () => {
      const lectr = memoryLectr()
      const client = lectr.client()
      const form = await client.page(`/signin?next=${encodeURIComponent(next)}`)
      expect(form.html).not.toContain('evil.example')
      const res = await client.signIn(ADMIN_TOKEN, next)
      expect(res.status).toBe(303)
      const location = res.headers.get('location')!
      expect(location).toStartWith('/')
      expect(location).not.toStartWith('//')
      expect(location).not.toContain('\\')
      expect(new URL(location, 'http://lectr.test').origin).toBe('http://lectr.test')
      expect(location).toBe('/')
    })
  }

  test('the org switcher honours a local next and refuses another site', async () => {
    const { client } = await signedIn()
    expect((await client.post('/orgs/switch', { org: 'default', next: '/events?status=error' })).headers.get('location')).toBe('/events?status=error')
    expect((await client.post('/orgs/switch', { org: 'default', next: '//evil.example' })).headers.get('location')).toBe('/')
    expect((await client.post('/orgs/switch', { org: 'default', next: 'https://evil.example/' })).headers.get('location')).toBe('/')
  })
})

describe('every POST checks the CSRF token and where it came from', () => {
  for (const [path, fields] of POSTS) {
    test(`POST ${path}`, async () => {
      const { lectr, client } = await signedIn()
      const keysBefore = (await lectr.orgs.listKeys('default')).length
      const refusals: [Record<string, string>, Record<string, string>][] = [
        [{ _csrf: '' }, {}],
        [{ _csrf: 'x'.repeat(43) }, {}],
        [{}, { origin: 'https://evil.example' }],
        [{}, { origin: 'http://lectr.test.evil.example' }],
        [{}, { origin: 'null' }],
        [{}, { 'sec-fetch-site': 'cross-site' }],
        [{}, { 'sec-fetch-site': 'same-site' }],
      ]
      for (const [extra, headers] of refusals) {
        const res = await client.post(path, { ...fields, ...extra }, headers)
        expect(res.status, JSON.stringify({ extra, headers })).toBe(403)
        expectSecurityHeaders(res)
      }
      // Nothing happened: still signed in, no key made, no settings saved.
      expect((await client.get('/')).status).toBe(200)
      expect(await lectr.orgs.listKeys('default')).toHaveLength(keysBefore)
      expect(await lectr.orgs.getAzure('default')).toBeNull()
      // The same form from the page itself goes through.
      const ok = await client.post(path, fields)
      expect([200, 303]).toContain(ok.status)
    })
  }

  test('a client without Origin or Sec-Fetch-Site (curl) still needs the token', async () => {
    const { client } = await signedIn()
    const res = await client.request('/settings/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ label: 'x' }),
    })
    expect(res.status).toBe(403)
    const ok = await client.request('/settings/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ label: 'x', _csrf: client.csrf }),
    })
    expect(ok.status).toBe(200)
  })

  test('a POST that is not a small urlencoded form is refused', async () => {
    const { client } = await signedIn()
    const json = await client.request('/settings/keys', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://lectr.test' }, body: JSON.stringify({ _csrf: client.csrf }) })
    expect(json.status).toBe(400)
    const big = await client.post('/settings/keys', { label: 'x'.repeat(70_000) })
    expect(big.status).toBe(400)
  })
})

describe('sessions', () => {
  test('sign-out deletes the session: the old cookie no longer works', async () => {
    const { lectr, client } = await signedIn()
    const id = client.cookies.get('lectr_session')!
    const res = await client.post('/signout')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/signin')
    expect(res.headers.getSetCookie().find((c) => c.startsWith('lectr_session='))).toContain('Max-Age=0')
    expect(lectr.db.query('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 })
    expect((await client.get('/', { cookie: `lectr_session=${id}` })).status).toBe(303)
  })

  test('a session ends 12 h after its last use, and use keeps it going (up to 7 days)', async () => {
    const { lectr, client } = await signedIn()
    lectr.advance(11 * 3_600_000)
    expect((await client.get('/')).status).toBe(200)
    lectr.advance(11 * 3_600_000)
    expect((await client.get('/')).status).toBe(200)
    lectr.advance(12 * 3_600_000 + 1)
    expect((await client.get('/')).status).toBe(303)
    expect(lectr.db.query('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 })

    const again = lectr.client()
    await again.signIn()
    for (let h = 0; h < 7 * 24; h += 10) {
      lectr.advance(10 * 3_600_000)
      if ((await again.get('/')).status !== 200) {
        expect(h).toBeGreaterThanOrEqual(7 * 24 - 20)
        return
      }
    }
    throw new Error('a session outlived 7 days')
  })

  test('the org is remembered per session', async () => {
    const { lectr, client } = await signedIn()
    await lectr.orgs.create('Acme production')
    const other = lectr.client()
    await other.signIn()
    await client.page('/')
    expect((await client.post('/orgs/switch', { org: 'acme-production', next: '/settings/keys' })).status).toBe(303)
    expect((await client.page('/settings/keys')).html).toContain('<option value="acme-production" selected>Acme production</option>')
    expect((await other.page('/settings/keys')).html).toContain('<option value="default" selected>default</option>')
    // An org that does not exist is refused and changes nothing.
    expect((await client.post('/orgs/switch', { org: 'nope', next: '/' })).status).toBe(400)
    expect((await client.page('/')).html).toContain('<option value="acme-production" selected>')
  })
})

describe('not found', () => {
  test('an unknown page is the dashboard 404 (framed when signed in); /api and /v1 keep JSON', async () => {
    const lectr = memoryLectr()
    const anon = lectr.client()
    const bare = await anon.get('/nope')
    expect(bare.status).toBe(404)
    expect(await bare.text()).not.toContain('org-switch')
    const { client } = await signedIn()
    const framed = await client.page('/nope')
    expect(framed.res.status).toBe(404)
    expect(framed.html).toContain('org-switch')
    expectSecurityHeaders(framed.res)
    const event = await client.page('/events/0190f3a2-0000-7000-8000-000000000000')
    expect(event.res.status).toBe(404)
    for (const path of ['/api/nope', '/v1']) {
      const res = await client.get(path)
      expect(res.status).toBe(404)
      expect((await errorOf(res)).error.code).toBe('lectr_not_found')
    }
    const post = await client.request('/nope', { method: 'POST' })
    expect(post.status).toBe(404)
    expect(post.headers.get('content-type')).toBe('application/json')
  })
})

describe('works over a real socket too', () => {
  test('the sign-in POST answers 303 with a local Location for every hostile next (issue 15), and keeps a good one', async () => {
    const { startLectr } = await import('../helpers/lectr')
    const lectr = await startLectr(null)
    try {
      const cases: [next: string, location: string][] = [
        ['/.//evil.example/x', '/'],
        ['/x/..//evil.example', '/'],
        ['/%2e//evil.example', '/'],
        ['/%5cevil.example', '/'],
        ['/\\evil.example', '/'],
        ['https://evil.example/', '/'],
        ['/\t/evil.example', '/'],
        ['/models?range=7d', '/models?range=7d'],
      ]
      for (const [next, location] of cases) {
        const client = Client.http(lectr.url)
        const res = await client.signIn(ADMIN_TOKEN, next)
        expect(res.status, next).toBe(303)
        expect(res.headers.get('location'), next).toBe(location)
        // The session is real: the page it goes to opens.
        expect((await client.get(location)).status).toBe(200)
      }
    } finally {
      await lectr.stop()
    }
  })

  test('sign in, a page, sign out', async () => {
    const { startLectr } = await import('../helpers/lectr')
    const lectr = await startLectr(null)
    try {
      const client = Client.http(lectr.url)
      expect((await client.signIn()).status).toBe(303)
      const { res, html } = await client.page('/')
      expect(res.status).toBe(200)
      expect(html).toContain('<h1>Overview</h1>')
      expect((await client.post('/signout')).status).toBe(303)
      expect((await client.get('/')).status).toBe(303)
    } finally {
      await lectr.stop()
    }
  })
})
