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
    expect(result.lines[0]).toMatch(/: OK, version builtin-\S+: 5 providers, \d+ models \(\d+ priced\), \d+ prefixes$/)
  })

  test('every problem, then a count', () => {
    const path = join(dir, 'bad.json')
    writeFileSync(path, JSON.stringify({ version: '', providers: [], models: [], extra: 1 }))
    const result = checkRegistryFile(path)
    expect(result.ok).toBe(false)
    expect(result.lines.at(-1)).toBe(`7 problems in ${path}`)
    expect(result.lines.slice(0, -1).every((line) => line.startsWith(`${path}: `))).toBe(true)
  })

  test('a file that cannot be read', () => {
    const result = checkRegistryFile(join(dir, 'missing.json'))
    expect(result).toMatchObject({ ok: false, lines: [expect.stringContaining('cannot read the file')] })
  })
})
