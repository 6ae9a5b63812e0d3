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
  test('schema problems name the flag or env var that was used, and what it accepts', () => {
    const r = parseConfig(['--port', '70000'], { LECTR_OPENAI_BASE_URL: 'ftp://x' })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toContain('--port: expected a whole number from 0 to 65535, got "70000"')
    expect(r.errors).toContain('LECTR_OPENAI_BASE_URL: expected an http(s) URL, got "ftp://x"')
  })
  test('conversion and schema problems are reported together', () => {
    const r = parseConfig(['--port', 'abc', '--drain-seconds', '9999'], {})
    expect(!r.ok && r.errors).toEqual(['--port: expected a whole number from 0 to 65535, got "abc"', '--drain-seconds: expected a number from 0 to 3600, got "9999"'])
  })
})

describe('config: one plain message per bad value', () => {
  // [flags, env, the one line expected]
  const table: [string[], Record<string, string>, string][] = [
    [['--host='], {}, '--host: expected a non-empty value, got ""'],
    [['--port', 'eighty'], {}, '--port: expected a whole number from 0 to 65535, got "eighty"'],
    [['--port', '70000'], {}, '--port: expected a whole number from 0 to 65535, got "70000"'],
    [[], { LECTR_PORT: '-1' }, 'LECTR_PORT: expected a whole number from 0 to 65535, got "-1"'],
    [['--port', '80.5'], {}, '--port: expected a whole number from 0 to 65535, got "80.5"'],
    [['--port'], {}, '--port: needs a value (a whole number from 0 to 65535)'],
    [['--db='], {}, '--db: expected a non-empty value, got ""'],
    [['--registry='], {}, '--registry: expected a non-empty value, got ""'],
    [['--admin-token', 'short-secret'], {}, '--admin-token: expected at least 16 characters, got 12 characters'],
    [[], { LECTR_ADMIN_TOKEN: 'short-secret' }, 'LECTR_ADMIN_TOKEN: expected at least 16 characters, got 12 characters'],
    [['--openai-base-url', 'notaurl'], {}, '--openai-base-url: expected an http(s) URL, got "notaurl"'],
    [['--anthropic-base-url', 'ftp://x'], {}, '--anthropic-base-url: expected an http(s) URL, got "ftp://x"'],
    [['--groq-base-url', 'http://'], {}, '--groq-base-url: expected an http(s) URL, got "http://"'],
    [[], { LECTR_GEMINI_BASE_URL: 'api.example.com/v1' }, 'LECTR_GEMINI_BASE_URL: expected an http(s) URL, got "api.example.com/v1"'],
    [['--allow-private-upstreams', 'maybe'], {}, '--allow-private-upstreams: expected 1 or 0 (or true/false, yes/no, on/off), got "maybe"'],
    [[], { LECTR_ALLOW_PRIVATE_UPSTREAMS: '2' }, 'LECTR_ALLOW_PRIVATE_UPSTREAMS: expected 1 or 0 (or true/false, yes/no, on/off), got "2"'],
    [['--drain-seconds', '-1'], {}, '--drain-seconds: expected a number from 0 to 3600, got "-1"'],
    [['--drain-seconds', 'soon'], {}, '--drain-seconds: expected a number from 0 to 3600, got "soon"'],
    [['--max-body-bytes', '10'], {}, '--max-body-bytes: expected a whole number of at least 1024, got "10"'],
    [[], { LECTR_MAX_BODY_BYTES: '1.5' }, 'LECTR_MAX_BODY_BYTES: expected a whole number of at least 1024, got "1.5"'],
    [['--upstream-timeout-ms', '0'], {}, '--upstream-timeout-ms: expected a whole number of at least 1, got "0"'],
    [['--retention-days', '0'], {}, '--retention-days: expected a whole number of at least 1, got "0"'],
    [['--max-upstream-requests', '70000'], {}, '--max-upstream-requests: expected a whole number from 1 to 65535, got "70000"'],
    [['--upstream-http2', 'perhaps'], {}, '--upstream-http2: expected 1 or 0 (or true/false, yes/no, on/off), got "perhaps"'],
    [['--event-log=maybe'], {}, '--event-log: expected 1 or 0 (or true/false, yes/no, on/off), got "maybe"'],
  ]
  for (const [flags, env, line] of table) {
    test(line, () => {
      const r = parseConfig(flags, env)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.errors).toEqual([line])
    })
  }
  test('the table covers every setting of this version', () => {
    const covered = new Set(table.flatMap(([flags, env]) => [...flags.map((f) => f.split('=')[0]), ...Object.keys(env)]))
    const known = ['host', 'port', 'db', 'registry', 'adminToken', 'baseUrls.openai', 'baseUrls.anthropic', 'baseUrls.groq', 'baseUrls.gemini', 'allowPrivateUpstreams', 'drainSeconds', 'maxBodyBytes', 'upstreamTimeoutMs', 'retentionDays', 'maxUpstreamRequests', 'upstreamHttp2', 'eventLog']
    for (const s of SETTINGS.filter((s) => known.includes(s.key))) expect(covered.has(s.flag) || covered.has(s.env)).toBe(true)
  })
  // Settings added later get plain messages too: a wrong value for every setting, as a flag and as an env var.
  test('every setting, as flag and as env var: one line naming it and what it accepts, no schema jargon', () => {
    for (const s of SETTINGS) {
      const bad = s.kind === 'bool' ? 'maybe' : s.kind !== 'string' ? 'abc' : s.key.startsWith('baseUrls.') ? 'notaurl' : s.secret ? 'short' : null
      const asFlag = parseConfig([`${s.flag}=${bad ?? ''}`], {})
      expect(asFlag.ok).toBe(false)
      if (asFlag.ok) continue
      expect(asFlag.errors).toHaveLength(1)
      expect(asFlag.errors[0]).toStartWith(`${s.flag}: expected `)
      expect(asFlag.errors[0]).not.toContain('Expected')
      if (bad === null) continue // an empty env var means "not set"
      const asEnv = parseConfig([], { [s.env]: bad })
      expect(!asEnv.ok && asEnv.errors).toEqual([asFlag.errors[0].replace(s.flag, s.env)])
    }
  })
  test("the admin token's value is never echoed", () => {
    const r = parseConfig(['--admin-token', 'my-secret-x'], {})
    expect(!r.ok && r.errors.join('\n')).not.toContain('my-secret-x')
  })
})
