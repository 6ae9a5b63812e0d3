import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { SETTINGS } from '../../src/config'
import { anchors, isExternal, links, section, withoutCodeBlocks } from '../helpers/markdown'

const ROOT = join(import.meta.dir, '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const README = read('README.md')

/** The documents a user or a newcomer reads: the README, docs/ and the benchmark notes. */
const DOCUMENTS = ['README.md', 'bench/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

describe("the README's configuration table", () => {
  const table = section(README, 'Configuration')
    .split('\n')
    .filter((l) => l.startsWith('|'))

  test('has a row for every setting in src/config.ts, showing its default', () => {
    expect(SETTINGS.length).toBeGreaterThan(20)
    const missing: string[] = []
    for (const s of SETTINGS) {
      const row = table.find((l) => l.includes('`' + s.env + '`'))
      if (!row) missing.push(`${s.env}: no row`)
      else if (s.default !== null && !row.includes('`' + s.default + '`')) missing.push(`${s.env}: default \`${s.default}\` not shown`)
    }
    expect(missing).toEqual([])
  })

  test('names no setting that does not exist', () => {
    const known = new Set(SETTINGS.map((s) => s.env))
    const named = table.flatMap((l) => [...l.matchAll(/`(LECTR_[A-Z0-9_]+)`/g)].map((m) => m[1]!))
    expect(named.length).toBeGreaterThanOrEqual(SETTINGS.length)
    expect(named.filter((env) => !known.has(env))).toEqual([])
  })

  test('covers the flags too: each flag is its env var as the README says (LECTR_MAX_BODY_BYTES is --max-body-bytes)', () => {
    expect(section(README, 'Configuration')).toContain('`LECTR_MAX_BODY_BYTES` is `--max-body-bytes`')
    const flagOf = (env: string) => '--' + env.slice('LECTR_'.length).toLowerCase().replaceAll('_', '-')
    expect(SETTINGS.filter((s) => s.flag !== flagOf(s.env)).map((s) => `${s.env} ${s.flag}`)).toEqual([])
  })
})

describe('the README', () => {
  test('stays a user guide: at most 15,000 bytes (reference material goes in docs/)', () => {
    expect(Buffer.byteLength(README)).toBeLessThanOrEqual(15_000)
  })

  test('starts with the two set-up commands, make run then make test', () => {
    const firstBlock = README.match(/```sh\n([\s\S]*?)```/)![1]!
    const lines = firstBlock.split('\n').filter((l) => l.startsWith('make '))
    expect(lines[0]).toStartWith('make run')
    expect(lines[1]).toStartWith('make test')
  })

  test('keeps its Limitations list', () => {
    expect(section(README, 'Limitations').split('\n').filter((l) => l.startsWith('- ')).length).toBeGreaterThanOrEqual(3)
  })
})

describe('links in the documentation', () => {
  test('every relative link points at a file of the repository, and every #anchor at a heading there', () => {
    const broken: string[] = []
    let checked = 0
    for (const doc of DOCUMENTS) {
      for (const { target, line } of links(read(doc))) {
        if (isExternal(target)) continue
        checked++
        const [path, anchor] = target.split('#') as [string, string | undefined]
        const file = path === '' ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), decodeURIComponent(path))
        const where = `${doc}:${line} -> ${target}`
        if (relative(ROOT, file).startsWith('..')) broken.push(`${where} (outside the repository)`)
        else if (!existsSync(file)) broken.push(`${where} (no such file)`)
        else if (anchor !== undefined && statSync(file).isFile() && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).includes(anchor))
          broken.push(`${where} (no such heading)`)
      }
    }
    expect(checked).toBeGreaterThan(10)
    expect(broken).toEqual([])
  })

  test('every path of the repository named in code (`src/proxy/headers.ts`) exists in the README and docs/', () => {
    const named: string[] = []
    for (const doc of DOCUMENTS.filter((d) => d !== 'bench/README.md')) {
      for (const m of read(doc).matchAll(/`((?:src|test|bench|views|public|docs)\/[^`\s]*)`/g)) {
        // a pattern, not a file: `src/providers/<id>.ts`
        if (!/[<>*{}]/.test(m[1]!)) named.push(`${doc}: ${m[1]}`)
      }
    }
    expect(named.length).toBeGreaterThan(5)
    expect(named.filter((n) => !existsSync(join(ROOT, n.split(': ')[1]!)))).toEqual([])
  })

  test('the helpers find links and anchors as GitHub does', () => {
    const text = '# Title\n## Admin API: `/api`\n## Title\n```\n[not](a-link.md)\n```\nsee [a](docs/x.md#y) and `[code](z.md)`'
    expect(anchors(text)).toEqual(['title', 'admin-api-api', 'title-1'])
    expect(links(text)).toEqual([{ target: 'docs/x.md#y', line: 7 }])
    expect(withoutCodeBlocks(text)).not.toContain('a-link')
    expect(isExternal('https://example.com')).toBe(true)
    expect(isExternal('../bench/README.md')).toBe(false)
  })
})
