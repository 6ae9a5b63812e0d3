import { describe, expect, test } from 'bun:test'
import { parseConfig, SETTINGS } from '../../src/config'

describe('config', () => {
  test('defaults match SPEC section 1', () => {
    const r = parseConfig([], {})
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.config).toMatchObject({ host: '0.0.0.0', port: 8080, db: './lectr.db', registry: null, adminToken: null, allowPrivateUpstreams: false, drainSeconds: 30, maxBodyBytes: 32 * 1024 * 1024, upstreamTimeoutMs: 600_000, retentionDays: 90 })
  })
  test('env, then flags win', () => {
    const r = parseConfig(['--port', '9001', '--db=/tmp/x.db'], { LECTR_PORT: '9000', LECTR_HOST: '127.0.0.1', LECTR_GROQ_BASE_URL: 'http://127.0.0.1:1/v1' })
    expect(r.ok && r.config.port).toBe(9001)
    expect(r.ok && r.config.host).toBe('127.0.0.1')
    expect(r.ok && r.config.db).toBe('/tmp/x.db')
    expect(r.ok && r.config.baseUrls.groq).toBe('http://127.0.0.1:1/v1')
  })
  test('every setting is both a flag and an env var', () => {
    for (const s of SETTINGS) {
      expect(s.flag).toStartWith('--')
      expect(s.env).toStartWith('LECTR_')
    }
  })
  test('every problem is reported at once', () => {
    const r = parseConfig(['--port', 'abc', '--bogus', '--drain-seconds', '-1'], { LECTR_ALLOW_PRIVATE_UPSTREAMS: 'maybe', LECTR_OPENAI_BASE_URL: 'ftp://x', LECTR_MAX_BODY_BYTES: '1.5' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    const text = r.errors.join('\n')
    expect(text).toContain('--port')
    expect(text).toContain('--bogus')
    expect(text).toContain('LECTR_ALLOW_PRIVATE_UPSTREAMS')
    expect(text).toContain('LECTR_MAX_BODY_BYTES')
    expect(r.errors.length).toBeGreaterThanOrEqual(4)
  })
  test('schema problems name the flag and the env var', () => {
    const r = parseConfig(['--port', '70000'], { LECTR_OPENAI_BASE_URL: 'ftp://x' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors.join('\n')).toContain('--port / LECTR_PORT')
    expect(r.errors.join('\n')).toContain('LECTR_OPENAI_BASE_URL')
  })
})
