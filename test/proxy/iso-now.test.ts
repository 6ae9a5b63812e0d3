import { expect, test } from 'bun:test'
import { isoNow } from '../../src/proxy/iso-now'

test('isoNow formats each millisecond as toISOString does, and formats again when the millisecond changes', () => {
  const t = Date.UTC(2026, 10, 28, 15, 4, 5, 123)
  expect(isoNow(t)).toBe('2026-11-28T15:04:05.123Z')
  expect(isoNow(t)).toBe('2026-11-28T15:04:05.123Z')
  expect(isoNow(t + 1)).toBe('2026-11-28T15:04:05.124Z')
  expect(isoNow(t)).toBe('2026-11-28T15:04:05.123Z')
  const now = Date.now()
  expect(Date.parse(isoNow())).toBeGreaterThanOrEqual(now)
})
