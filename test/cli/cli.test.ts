import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'lectr-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const main = join(import.meta.dir, '../../src/main.ts')

function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([process.execPath, main, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: dir })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

describe('lectr command line', () => {
  test('--help lists every command, flag and env var', () => {
    const r = run(['--help'])
    expect(r.code).toBe(0)
    for (const s of ['registry check', '--host', 'LECTR_HOST', '--port', '--db', '--registry', '--admin-token', 'LECTR_ALLOW_PRIVATE_UPSTREAMS', 'LECTR_DRAIN_SECONDS', 'LECTR_OPENAI_BASE_URL', 'LECTR_GEMINI_BASE_URL']) {
      expect(r.out).toContain(s)
    }
  })
  test('--version prints the version', () => {
    const r = run(['--version'])
    expect(r.code).toBe(0)
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
  test('bad settings stop the start with every problem listed, exit 2', () => {
    const r = run(['--port', 'eighty', '--nope'], { LECTR_DRAIN_SECONDS: 'x', LECTR_DB: join(dir, 'never.db') })
    expect(r.code).toBe(2)
    expect(r.err).toContain('--port')
    expect(r.err).toContain('--nope')
    expect(r.err).toContain('LECTR_DRAIN_SECONDS')
  })
  test('registry check: the built-in registry file is valid', () => {
    const r = run(['registry', 'check', join(import.meta.dir, '../../src/registry/builtin.json')])
    expect(r.code).toBe(0)
    expect(r.out).toContain('OK')
  })
  test('registry check: a broken file prints every problem, exit 1', () => {
    const good = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))
    good.models[0].price.input = 'cheap'
    good.models[1].provider = 'mistral'
    good.models.push({ ...good.models[2] })
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify(good))
    const r = run(['registry', 'check', file])
    expect(r.code).toBe(1)
    const text = r.out + r.err
    expect(text).toContain('/models/0/price/input')
    expect(text).toContain('/models/1/provider')
    expect(text.toLowerCase()).toContain('duplicate')
  })
  test('registry check without a file: usage, exit 2', () => {
    expect(run(['registry', 'check']).code).toBe(2)
  })
})
