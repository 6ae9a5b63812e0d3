import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LAYERS } from '../src/domain'
import { buildImportGraph, importCycles, importSpecifiers, layerOf, layerViolations, type ImportGraph } from './helpers/import-graph'

const ROOT = join(import.meta.dir, '..')
const graph = buildImportGraph(ROOT)

/** `file -> file (why)` lines, so that a failure names every offending import. */
function described(graph: ImportGraph): string[] {
  return layerViolations(graph, LAYERS).map((v) => `${v.from} -> ${v.to} (${v.fromLayer} -> ${v.toLayer}: ${v.why})`)
}

describe('the module graph of src/ and views/', () => {
  test('is read: every source file, and the imports between them', () => {
    expect(graph.files).toContain('src/domain.ts')
    expect(graph.files).toContain('views/types.ts')
    expect(graph.files.length).toBeGreaterThan(150)
    expect(graph.edges).toContainEqual({ from: 'src/main.ts', to: 'src/server.ts', typeOnly: false })
    expect(graph.edges).toContainEqual({ from: 'src/registry/detect.ts', to: 'src/domain.ts', typeOnly: true })
  })

  test('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([])
  })

  test('imports only downwards: never a layer above, never a sibling on the same row', () => {
    expect(described(graph)).toEqual([])
  })

  test('places every file in a layer of the table', () => {
    const placed = new Set(LAYERS.flat())
    expect(graph.files.filter((f) => !placed.has(layerOf(f)))).toEqual([])
    // Each layer once: a layer on two rows would make its own imports look like a sibling's.
    expect(LAYERS.flat().length).toBe(placed.size)
  })

  test('src/domain.ts imports nothing, not even a package', () => {
    expect(importSpecifiers('src/domain.ts', readFileSync(join(ROOT, 'src/domain.ts'), 'utf8'))).toEqual([])
  })

  test('views never reach a surface (proxy, admin, dashboard, metrics) or what wires them', () => {
    const surfaces = new Set(['proxy', 'admin', 'dashboard', 'metrics', 'app', 'cli', 'server', 'main'])
    expect(graph.edges.filter((e) => layerOf(e.from) === 'views' && surfaces.has(layerOf(e.to)))).toEqual([])
  })
})

describe('the checks catch what they are for', () => {
  // Just the one import, so that these say what the checks do whatever the real graph holds.
  const withEdge = (from: string, to: string): ImportGraph => ({ files: [from, to], edges: [{ from, to, typeOnly: true }] })

  test('the event log importing the proxy is an upward import', () => {
    expect(described(withEdge('src/events/writer.ts', 'src/proxy/handler.ts'))).toEqual([
      'src/events/writer.ts -> src/proxy/handler.ts (events -> proxy: imports a layer above)',
    ])
  })

  test('the dashboard importing the admin API is a sibling import', () => {
    expect(described(withEdge('src/dashboard/events.ts', 'src/admin/routes.ts'))).toEqual([
      'src/dashboard/events.ts -> src/admin/routes.ts (dashboard -> admin: imports a sibling on the same row)',
    ])
  })

  test('the floor importing anything is an upward import', () => {
    expect(described(withEdge('src/domain.ts', 'src/limits.ts'))).toEqual(['src/domain.ts -> src/limits.ts (domain -> limits: imports a layer above)'])
  })

  test('a folder missing from the table is reported', () => {
    const g: ImportGraph = { files: ['src/new-thing/a.ts', 'src/domain.ts'], edges: [{ from: 'src/new-thing/a.ts', to: 'src/domain.ts', typeOnly: true }] }
    expect(layerViolations(g, LAYERS).map((v) => v.why)).toEqual(['layer new-thing is in no row'])
  })

  test('a type-only cycle is a cycle', () => {
    const g: ImportGraph = {
      files: ['src/admin/a.ts', 'src/admin/b.ts', 'src/admin/c.ts'],
      edges: [
        { from: 'src/admin/a.ts', to: 'src/admin/b.ts', typeOnly: false },
        { from: 'src/admin/b.ts', to: 'src/admin/a.ts', typeOnly: true },
        { from: 'src/admin/c.ts', to: 'src/admin/a.ts', typeOnly: false },
      ],
    }
    expect(importCycles(g)).toEqual([['src/admin/a.ts', 'src/admin/b.ts']])
  })

  test('every form of import is read; text that only looks like one is not', () => {
    const text = [
      "import { a,",
      "  b } from './multi-line'",
      "import type { T } from './type-only'",
      "import { type U, type V } from './all-named-types'",
      "import def, { type W } from './default-and-type'",
      "export { x } from './re-export'",
      "export type { Y } from './type-re-export'",
      "import './side-effect'",
      "const later = await import('./dynamic')",
      "type Z = import('./import-type').Z",
      "const s = \"import { no } from './in-a-string'\"",
      "// import { no } from './in-a-comment'",
    ].join('\n')
    expect(importSpecifiers('x.ts', text)).toEqual([
      { specifier: './multi-line', typeOnly: false },
      { specifier: './type-only', typeOnly: true },
      { specifier: './all-named-types', typeOnly: true },
      { specifier: './default-and-type', typeOnly: false },
      { specifier: './re-export', typeOnly: false },
      { specifier: './type-re-export', typeOnly: true },
      { specifier: './side-effect', typeOnly: false },
      { specifier: './dynamic', typeOnly: false },
      { specifier: './import-type', typeOnly: true },
    ])
  })
})
