import { describe, expect, test } from 'bun:test'
import { AdminTokenThrottle, FORGET_AFTER_MS, lockoutMs, MAX_TRACKED, PER_ADDRESS, throttleKey } from '../../src/auth/throttle'

describe('lockoutMs', () => {
  const cases: [failures: number, ms: number][] = [
    [0, 0], [5, 0], [6, 1000], [7, 2000], [8, 4000], [13, 128_000], [14, 256_000], [15, 300_000], [1000, 300_000],
  ]
  for (const [failures, ms] of cases) test(`per address, ${failures} failures: ${ms} ms`, () => expect(lockoutMs(failures, PER_ADDRESS)).toBe(ms))
})

describe('throttleKey', () => {
  const cases: [address: string, key: string][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['2001:db8:1:2::7', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0:0:0:1', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ]
  for (const [address, key] of cases) test(`${address} -> ${key}`, () => expect(throttleKey(address)).toBe(key))
})

describe('AdminTokenThrottle', () => {
  const setup = () => {
    const clock = { ms: 1_000_000 }
    return { clock, throttle: new AdminTokenThrottle(() => clock.ms) }
  }

  test('one address locked out does not lock out another', () => {
    const { throttle } = setup()
    for (let i = 0; i < 6; i++) throttle.failure('10.0.0.1')
    expect(throttle.check('10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 1000 })
    expect(throttle.check('10.0.0.2')).toEqual({ allowed: true })
  })

  test('the lock-out doubles with each failure after it, up to 5 minutes', () => {
    const { clock, throttle } = setup()
    for (let i = 0; i < 6; i++) throttle.failure('10.0.0.1')
    const waits: number[] = []
    for (let i = 0; i < 12; i++) {
      const gate = throttle.check('10.0.0.1')
      if (gate.allowed) throw new Error('expected a lock-out')
      waits.push(gate.retryAfterMs)
      clock.ms += gate.retryAfterMs
      expect(throttle.check('10.0.0.1')).toEqual({ allowed: true })
      throttle.failure('10.0.0.1')
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000])
  })

  test('no global lock: failures from 10 addresses, or from 1,000, never lock out an 11th (issue 15)', () => {
    const { throttle } = setup()
    for (let a = 1; a <= 10; a++) for (let i = 0; i < 6; i++) throttle.failure(`10.0.0.${a}`)
    for (let a = 1; a <= 10; a++) expect(throttle.check(`10.0.0.${a}`).allowed).toBe(false)
    expect(throttle.check('10.0.0.11')).toEqual({ allowed: true })
    for (let a = 0; a < 1000; a++) for (let i = 0; i < 20; i++) throttle.failure(`10.1.${a >> 8}.${a & 255}`)
    expect(throttle.check('10.0.0.11')).toEqual({ allowed: true })
    expect(throttle.check('192.0.2.1')).toEqual({ allowed: true })
  })

  test('IPv6 addresses count per /64: a host cannot step around its lock-out by changing its interface id', () => {
    const { throttle } = setup()
    for (let i = 1; i <= 6; i++) throttle.failure(`2001:db8:1:2::${i}`)
    expect(throttle.check('2001:db8:1:2:dead:beef:0:99').allowed).toBe(false)
    expect(throttle.check('2001:db8:1:3::1')).toEqual({ allowed: true })
    expect(throttle.tracked).toBe(1)
  })

  test('an IPv4 peer counts the same whether the socket reports it mapped or not', () => {
    const { throttle } = setup()
    for (let i = 0; i < 3; i++) throttle.failure('::ffff:198.51.100.4')
    for (let i = 0; i < 3; i++) throttle.failure('198.51.100.4')
    expect(throttle.check('198.51.100.4').allowed).toBe(false)
    expect(throttle.check('::ffff:198.51.100.4').allowed).toBe(false)
  })

  test('a success clears the address', () => {
    const { throttle } = setup()
    for (let i = 0; i < 5; i++) throttle.failure('10.0.0.1')
    throttle.success('10.0.0.1')
    throttle.failure('10.0.0.1')
    expect(throttle.check('10.0.0.1')).toEqual({ allowed: true })
    expect(throttle.tracked).toBe(1)
  })

  test('a counter is forgotten 15 minutes after its last failure, once its lock-out has passed', () => {
    const { clock, throttle } = setup()
    for (let i = 0; i < 6; i++) throttle.failure('10.0.0.1')
    clock.ms += FORGET_AFTER_MS + 1
    for (let i = 0; i < 5; i++) throttle.failure('10.0.0.1')
    expect(throttle.check('10.0.0.1')).toEqual({ allowed: true })
  })

  test('the number of remembered addresses is bounded; the least recently failing go first', () => {
    const { throttle } = setup()
    for (let i = 0; i < 6; i++) throttle.failure('10.9.9.9')
    for (let i = 0; i < MAX_TRACKED + 2000; i++) {
      throttle.failure(`a${i}`)
      // 10.9.9.9 keeps failing, so it is never the oldest and stays locked out.
      if (i % 1000 === 0) throttle.failure('10.9.9.9')
    }
    expect(throttle.tracked).toBe(MAX_TRACKED)
    expect(throttle.check('10.9.9.9').allowed).toBe(false)
    expect(throttle.check('a0')).toEqual({ allowed: true })
    const small = new AdminTokenThrottle(() => 0, PER_ADDRESS, 3)
    for (const a of ['x', 'y', 'z', 'w']) small.failure(a)
    expect(small.tracked).toBe(3)
  })
})
