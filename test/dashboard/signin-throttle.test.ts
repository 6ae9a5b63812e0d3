/**
 * The sign-in throttle counts per client address, with no global lock (issue 15: 10 addresses × 5 failures
 * locked the real admin out). Over real sockets: each browser connects from its own loopback address.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sendFrom } from '../helpers/from-address'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'
import { Client } from './_client'

describe('sign-in throttle', () => {
  let lectr: TestLectr
  beforeAll(async () => {
    lectr = await startLectr(null)
  })
  afterAll(() => lectr.stop())

  const browserAt = (address: string) => new Client(lectr.url, sendFrom(address))

  test('failures from 10 addresses do not lock out an 11th; each of the 10 is locked out', async () => {
    for (let a = 2; a <= 11; a++) {
      const attacker = browserAt(`127.0.0.${a}`)
      for (let i = 0; i < 6; i++) expect((await attacker.signIn(`wrong-token-${a}-${i}`)).status).toBe(401)
      const locked = await attacker.signIn(ADMIN_TOKEN)
      expect(locked.status).toBe(429)
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(await locked.text()).toContain('Too many failed sign-ins.')
    }
    const admin = browserAt('127.0.0.12')
    const res = await admin.signIn(ADMIN_TOKEN, '/settings/keys')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/settings/keys')
    expect((await admin.get('/settings/keys')).status).toBe(200)
  })

  test('/api and the sign-in share the count: guesses at one lock the other for that address', async () => {
    const from = '127.0.0.20'
    const send = sendFrom(from)
    for (let i = 0; i < 6; i++) {
      await send(new Request(`${lectr.url}/api/orgs`, { headers: { authorization: `Bearer wrong-${i}` } }))
    }
    expect((await browserAt(from).signIn(ADMIN_TOKEN)).status).toBe(429)
    expect((await browserAt('127.0.0.21').signIn(ADMIN_TOKEN)).status).toBe(303)
  })
})
