import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkRegistryFile } from '../../src/registry/check'

const dir = mkdtempSync(join(tmpdir(), 'lectr-check-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('checkRegistryFile', () => {
  test('the built-in registry: one OK line with counts', () => {
    const path = join(import.meta.dir, '../../src/registry/builtin.json')
    const result = checkRegistryFile(path)
    expect(result.ok).toBe(true)
    expect(result.lines).toHaveLength(1)
    expect(result.lines[0]).toMatch(/: OK, version builtin-2026-12-07: 5 providers, \d+ models \(\d+ priced, [1-9]\d* retired, 0 without source and checked date\), \d+ prefixes$/)
  })

  test('every problem, then a count', () => {
    const path = join(dir, 'bad.json')
    writeFileSync(path, JSON.stringify({ version: '', providers: [{ id: 'mistral' }], models: [{ id: 'x', provider: 'openai', price: null }, { id: 'x', provider: 'openai', price: null }], extra: 1 }))
    const result = checkRegistryFile(path)
    expect(result.ok).toBe(false)
    // version, extra, the unknown provider, the duplicate model (no provider needs an entry: src/providers has defaults)
    expect(result.lines.at(-1)).toBe(`4 problems in ${path}`)
    expect(result.lines.slice(0, -1).every((line) => line.startsWith(`${path}: `))).toBe(true)
  })

  test('source, checked and retired: a URL, a real YYYY-MM-DD date, a boolean; entries without them are counted', () => {
    const path = join(dir, 'sourced.json')
    const providers = ['openai', 'anthropic', 'groq', 'gemini'].map((id) => ({ id, baseUrl: 'https://example.test/v1', prefixes: [] }))
    const model = (id: string, extra: Record<string, unknown>) => ({ id, provider: 'openai', price: { input: 1, output: 2 }, ...extra })
    const file = (models: unknown[]) => JSON.stringify({ version: 'v1', providers: [...providers, { id: 'azure', prefixes: [] }], models })
    writeFileSync(path, file([model('a', { checked: '2026-02-30x' }), model('b', { source: 'pricing page' }), model('c', { retired: 1 }), model('d', { checked: '2026-00-10' })]))
    const bad = checkRegistryFile(path)
    expect(bad.ok).toBe(false)
    for (const at of ['/models/0/checked', '/models/1/source', '/models/2/retired', '/models/3/checked']) expect(bad.lines.some((l) => l.includes(at))).toBe(true)
    writeFileSync(path, file([model('a', { source: 'https://developers.openai.com/api/docs/pricing', checked: '2026-12-07', retired: true }), model('b', {})]))
    const good = checkRegistryFile(path)
    expect(good.lines).toEqual([`${path}: OK, version v1: 5 providers, 2 models (2 priced, 1 retired, 1 without source and checked date), 0 prefixes`])
  })

  test('cacheWrite and cacheWrite1h must be non-negative numbers', () => {
    const path = join(dir, 'cache.json')
    const model = (id: string, price: Record<string, unknown>) => ({ id, provider: 'anthropic', price: { input: 3, output: 15, ...price } })
    writeFileSync(
      path,
      JSON.stringify({
        version: 'v1',
        providers: [{ id: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', prefixes: ['claude-'] }],
        models: [model('claude-a', { cacheWrite: -1 }), model('claude-b', { cacheWrite1h: 'six' }), model('claude-c', { cacheWrite: 3.75, cacheWrite1h: 6 })],
      }),
    )
    const result = checkRegistryFile(path)
    expect(result.ok).toBe(false)
    expect(result.lines.some((l) => l.includes('/models/0/price/cacheWrite'))).toBe(true)
    expect(result.lines.some((l) => l.includes('/models/1/price/cacheWrite1h'))).toBe(true)
    expect(result.lines.some((l) => l.includes('/models/2/'))).toBe(false)
  })

  test('a file that cannot be read', () => {
    const result = checkRegistryFile(join(dir, 'missing.json'))
    expect(result).toMatchObject({ ok: false, lines: [expect.stringContaining('cannot read the file')] })
  })
})
