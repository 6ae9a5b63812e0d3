import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config'
import { bodyBackstopSeconds } from '../../src/proxy/connection-timeouts'

describe('body timeout setting', () => {
  test('LECTR_BODY_TIMEOUT_MS defaults to 60 s and is a flag too', () => {
    const d = parseConfig([], {})
    expect(d.ok && d.config.bodyTimeoutMs).toBe(60_000)
    const f = parseConfig(['--body-timeout-ms', '1500'], { LECTR_BODY_TIMEOUT_MS: '2000' })
    expect(f.ok && f.config.bodyTimeoutMs).toBe(1500)
  })
  test('past what Bun’s backstop timer can cover (255 s), or not a whole number: refused, naming the setting', () => {
    for (const raw of ['300000', '0', '1.5', 'soon']) {
      const r = parseConfig([], { LECTR_BODY_TIMEOUT_MS: raw })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.errors.join('\n')).toContain('LECTR_BODY_TIMEOUT_MS')
    }
  })
})

describe('bodyBackstopSeconds', () => {
  test('whole seconds past the body deadline, so that Lectr’s 408 comes first', () => {
    expect(bodyBackstopSeconds(100)).toBe(7)
    expect(bodyBackstopSeconds(1000)).toBe(7)
    expect(bodyBackstopSeconds(1001)).toBe(8)
    expect(bodyBackstopSeconds(60_000)).toBe(66)
  })
  test('never more than Bun accepts (255 s), and every allowed setting stays under it', () => {
    expect(bodyBackstopSeconds(240_000)).toBe(246)
    expect(bodyBackstopSeconds(10_000_000)).toBe(255)
  })
})
