import { describe, expect, test } from 'bun:test'
import { withStreamUsageOption } from '../../src/proxy/handler'

const enc = new TextEncoder()
const dec = new TextDecoder()

describe('adding stream_options.include_usage to a client body', () => {
  test.each([
    ['{"model":"gpt-4o","stream":true}'],
    ['  {\n  "model": "gpt-4o", "stream": true }'],
    ['{"stream":true,"seed":12345678901234567890}'],
  ])('keeps every other byte as sent: %s', (body) => {
    const out = dec.decode(withStreamUsageOption(enc.encode(body)))
    expect(JSON.parse(out).stream_options).toEqual({ include_usage: true })
    expect(out.replace('"stream_options":{"include_usage":true},', '')).toBe(body)
  })
  test('an empty object stays valid JSON', () => {
    expect(JSON.parse(dec.decode(withStreamUsageOption(enc.encode('{ }'))))).toEqual({ stream_options: { include_usage: true } })
  })
  test('a big integer (seed) survives byte for byte', () => {
    const out = dec.decode(withStreamUsageOption(enc.encode('{"seed":98765432109876543210,"stream":true}')))
    expect(out).toContain('98765432109876543210')
  })
})
