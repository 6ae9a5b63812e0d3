/**
 * Guessing the admin token at /api is throttled per client address (issue 15: 2,000 wrong tokens took 0.34 s,
 * unthrottled). Over real sockets; the second client connects from 127.0.0.2, a different address to the server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { fetchFrom } from '../helpers/from-address'
import { answerOf, errorOf } from '../helpers/json'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'

describe('wrong admin tokens at /api', () => {
  let lectr: TestLectr
  beforeAll(async () => {
    lectr = await startLectr(null)
  })
  afterAll(() => lectr.stop())

  const orgs = (token: string, from = '127.0.0.1') => fetchFrom(from, `${lectr.url}/api/orgs`, { headers: { authorization: `Bearer ${token}` } })

  test('50 wrong tokens from one address: most are 429 with Retry-After; the right token from there waits too; from another address it works at once', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => orgs(`wrong-admin-token-${i}`)))
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([])
    // 5 free failures, the 6th starts a 1 s lock-out; everything after it (while locked) is refused unread.
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(6)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(25)

    const limited = answers.find((r) => r.status === 429)!
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(limited.headers.get('content-type')).toBe('application/json')
    const body = await errorOf(limited)
    expect(body).toEqual({ error: { message: expect.stringContaining('Too many wrong admin tokens'), type: 'invalid_request_error', code: 'lectr_too_many_attempts' } })
    expect(JSON.stringify(body)).not.toContain('wrong-admin-token')
    const unauthorized = await errorOf(answers.find((r) => r.status === 401)!)
    expect(unauthorized.error.code).toBe('lectr_unauthorized')

    // The right token from the same address is held off until the wait passes...
    const held = await orgs(ADMIN_TOKEN)
    expect(held.status).toBe(429)
    const wait = Number(held.headers.get('retry-after'))
    expect(wait).toBeGreaterThanOrEqual(1)
    // ... while the real admin, elsewhere, is not locked out at all.
    const elsewhere = await orgs(ADMIN_TOKEN, '127.0.0.2')
    expect(elsewhere.status).toBe(200)
    expect((await answerOf(elsewhere, 'orgs')).orgs.map((o) => o.id)).toContain('default')

    await Bun.sleep(wait * 1000 + 50)
    const after = await orgs(ADMIN_TOKEN)
    expect(after.status).toBe(200)
    // The right token cleared the count: the next wrong one is a plain 401 again.
    expect((await orgs('wrong-admin-token-again')).status).toBe(401)
  })

  test('a request without any token is 401 and does not count as a guess', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await fetchFrom('127.0.0.3', `${lectr.url}/api/orgs`)
      expect(res.status).toBe(401)
    }
    expect((await orgs(ADMIN_TOKEN, '127.0.0.3')).status).toBe(200)
  })

  test('X-Forwarded-For is not the address: a client cannot step around its lock-out by sending one', async () => {
    const from = '127.0.0.4'
    for (let i = 0; i < 6; i++) {
      await fetchFrom(from, `${lectr.url}/api/orgs`, { headers: { authorization: `Bearer wrong-${i}`, 'x-forwarded-for': `198.51.100.${i}` } })
    }
    const res = await fetchFrom(from, `${lectr.url}/api/orgs`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-forwarded-for': '192.0.2.77' } })
    expect(res.status).toBe(429)
  })

  test('/api/health stays open to a locked-out address', async () => {
    const from = '127.0.0.5'
    for (let i = 0; i < 6; i++) await orgs(`wrong-${i}`, from)
    expect((await orgs(ADMIN_TOKEN, from)).status).toBe(429)
    expect((await fetchFrom(from, `${lectr.url}/api/health`)).status).toBe(200)
  })
})
