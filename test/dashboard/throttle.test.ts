import { describe, expect, test } from 'bun:test'
import { FORGET_AFTER_MS, GLOBAL, lockoutMs, PER_ADDRESS, SigninThrottle } from '../../src/dashboard/throttle'

describe('lockoutMs', () => {
  const cases: [failures: number, ms: number][] = [
    [0, 0], [5, 0], [6, 1000], [7, 2000], [8, 4000], [13, 128_000], [14, 256_000], [15, 300_000], [1000, 300_000],
  ]
  for (const [failures, ms] of cases) test(`per address, ${failures} failures: ${ms} ms`, () => expect(lockoutMs(failures, PER_ADDRESS)).toBe(ms))
  test('globally: 50 free, at most 30 s', () => {
    expect(lockoutMs(50, GLOBAL)).toBe(0)
    expect(lockoutMs(51, GLOBAL)).toBe(1000)
    expect(lockoutMs(60, GLOBAL)).toBe(30_000)
  })
})

describe('SigninThrottle', () => {
  const setup = () => {
    const clock = { ms: 1_000_000 }
    return { clock, throttle: new SigninThrottle(() => clock.ms) }
  }

  test('one address locked out does not lock out another', () => {
    const { throttle } = setup()
    for (let i = 0; i < 6; i++) throttle.failure('10.0.0.1')
    expect(throttle.check('10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 1000 })
    expect(throttle.check('10.0.0.2')).toEqual({ allowed: true })
  })

  test('many addresses together hit the global limit, which locks out everyone', () => {
    const { clock, throttle } = setup()
    for (let i = 0; i < GLOBAL.free; i++) throttle.failure(`10.0.${i}.1`)
    expect(throttle.check('10.9.9.9')).toEqual({ allowed: true })
    throttle.failure('10.9.9.8')
    expect(throttle.check('10.9.9.9')).toEqual({ allowed: false, retryAfterMs: 1000 })
    clock.ms += 1000
    expect(throttle.check('10.9.9.9')).toEqual({ allowed: true })
    for (let i = 0; i < 20; i++) throttle.failure(`10.8.${i}.1`)
    expect(throttle.check('10.9.9.9')).toEqual({ allowed: false, retryAfterMs: GLOBAL.maxMs })
    // Forgotten after a quiet quarter of an hour.
    clock.ms += FORGET_AFTER_MS + 1
    throttle.failure('10.7.7.7')
    expect(throttle.check('10.9.9.9')).toEqual({ allowed: true })
  })

  test('a success clears the address, not the global count', () => {
    const { throttle } = setup()
    for (let i = 0; i < 5; i++) throttle.failure('10.0.0.1')
    throttle.success('10.0.0.1')
    throttle.failure('10.0.0.1')
    expect(throttle.check('10.0.0.1')).toEqual({ allowed: true })
  })

  test('the number of remembered addresses is bounded', () => {
    const { throttle } = setup()
    for (let i = 0; i < 12_000; i++) throttle.failure(`a${i}`)
    expect((throttle as unknown as { byAddress: Map<string, unknown> }).byAddress.size).toBeLessThanOrEqual(10_000)
  })
})
