import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config'
import { isLoopbackHost, redactIn, redactUrl, registryUrlProblem } from '../../src/registry/url'

describe('registry URL rules', () => {
  test('https anywhere; plain http only to loopback, and only with the allow flag', () => {
    expect(registryUrlProblem('https://prices.example.com/registry.json', false)).toBeNull()
    expect(registryUrlProblem('https://10.0.0.5/registry.json', false)).toBeNull()
    expect(registryUrlProblem('http://127.0.0.1:8000/r.json', true)).toBeNull()
    expect(registryUrlProblem('http://[::1]:8000/r.json', true)).toBeNull()
    expect(registryUrlProblem('http://localhost:8000/r.json', true)).toBeNull()
    expect(registryUrlProblem('http://127.0.0.1:8000/r.json', false)).toContain('LECTR_ALLOW_PRIVATE_UPSTREAMS=1')
    expect(registryUrlProblem('http://prices.example.com/r.json', true)).toContain('use https')
    expect(registryUrlProblem('http://10.0.0.5/r.json', true)).toContain('only to a loopback address')
    expect(registryUrlProblem('ftp://example.com/r.json', true)).toContain('expected an https URL')
    expect(registryUrlProblem('file:///etc/passwd', true)).toContain('expected an https URL')
    expect(registryUrlProblem('not a url', true)).toContain('not a URL')
  })

  test('loopback: 127/8, ::1 and its mapped form, localhost; nothing else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:7f00:1]', 'localhost', 'LOCALHOST.', 'a.localhost']) expect(isLoopbackHost(host)).toBe(true)
    for (const host of ['10.0.0.1', '0.0.0.0', '[::]', 'example.com', 'localhost.example.com', '[fe80::1]']) expect(isLoopbackHost(host)).toBe(false)
    // a decimal IPv4 literal is normalised by URL parsing first
    expect(isLoopbackHost(new URL('http://2130706433/').hostname)).toBe(true)
  })

  test('shown URLs carry no userinfo, no query values, no fragment', () => {
    expect(redactUrl('https://bot:pw@host.example/r.json?token=abc&v=2&flag#frag')).toBe('https://host.example/r.json?token=***&v=***&flag')
    expect(redactUrl('https://host.example/r.json')).toBe('https://host.example/r.json')
    const raw = 'https://bot:hunter22@host.example/r.json?token=s3cret'
    expect(redactIn(`fetch ${raw} failed (token s3cret, password hunter22)`, raw)).toBe('fetch https://host.example/r.json?token=*** failed (token ***, password ***)')
  })
})

describe('registry URL settings', () => {
  const base = { LECTR_REGISTRY_URL: 'https://prices.example.com/registry.json' }

  test('defaults: no URL, a check every 360 minutes; fractions allowed', () => {
    const r = parseConfig([], {})
    expect(r.ok && r.config).toMatchObject({ registryUrl: null, registryRefreshMinutes: 360 })
    const quick = parseConfig(['--registry-url', 'https://x.example/r.json', '--registry-refresh-minutes', '0.05'], {})
    expect(quick.ok && quick.config).toMatchObject({ registryUrl: 'https://x.example/r.json', registryRefreshMinutes: 0.05 })
  })

  test('a file and a URL are exclusive: one plain line naming both', () => {
    const r = parseConfig(['--registry', 'team.json'], base)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors).toEqual(['--registry and LECTR_REGISTRY_URL are exclusive: the registry comes from a file or from a URL, set only one'])
  })

  test('plain http is refused without the allow flag, and to anything but loopback with it; never quoting a token', () => {
    const r = parseConfig([], { LECTR_REGISTRY_URL: 'http://127.0.0.1:9000/r.json?token=s3cret' })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.errors).toHaveLength(1)
      expect(r.errors[0]).toStartWith('LECTR_REGISTRY_URL: "http://127.0.0.1:9000/r.json?token=***" is plain http')
      expect(r.errors[0]).not.toContain('s3cret')
    }
    expect(parseConfig([], { LECTR_REGISTRY_URL: 'http://127.0.0.1:9000/r.json', LECTR_ALLOW_PRIVATE_UPSTREAMS: '1' }).ok).toBe(true)
    const remote = parseConfig(['--registry-url=http://prices.example.com/r.json', '--allow-private-upstreams'], {})
    expect(!remote.ok && remote.errors[0]).toStartWith('--registry-url: "http://prices.example.com/r.json" is plain http: use https')
  })

  test('refresh minutes: a positive number up to a week', () => {
    for (const bad of ['0', '-5', 'often', '20000']) {
      const r = parseConfig([], { LECTR_REGISTRY_REFRESH_MINUTES: bad })
      expect(!r.ok && r.errors[0]).toStartWith('LECTR_REGISTRY_REFRESH_MINUTES: expected a number from 0.01 to 10080')
    }
  })
})
