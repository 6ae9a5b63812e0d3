// The module graph of src/ and views/, read from the source with TypeScript's own parser so that multi-line
// imports, `import type`, `export … from` and `import()` all count, and strings or comments that merely look like
// imports do not. Used by test/architecture.test.ts; `bun test/helpers/import-graph.ts` prints the cycles, the
// imports that break the layering (src/domain.ts's LAYERS) and the imports between layers.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import { join, dirname, relative, resolve } from 'node:path'
import ts from 'typescript'

export type ImportEdge = { from: string; to: string; typeOnly: boolean }
export type ImportGraph = { files: string[]; edges: ImportEdge[] }

const SOURCE_EXTENSIONS = ['.ts', '.tsx']

function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name)
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(root, path))
    else if (SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** The specifiers a file imports, each with whether only types cross it. */
export function importSpecifiers(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const found: { specifier: string; typeOnly: boolean }[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const allNamedAreTypes =
        clause !== undefined &&
        clause.name === undefined &&
        clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((element) => element.isTypeOnly)
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: clause?.isTypeOnly === true || allNamedAreTypes })
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly })
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false })
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function resolveRelative(root: string, fromFile: string, specifier: string): string | undefined {
  const base = resolve(root, dirname(fromFile), specifier)
  const candidates = [base, ...SOURCE_EXTENSIONS.map((ext) => base + ext), ...SOURCE_EXTENSIONS.map((ext) => join(base, 'index' + ext))]
  for (const candidate of candidates) {
    if (SOURCE_EXTENSIONS.some((ext) => candidate.endsWith(ext)) && existsSync(candidate) && statSync(candidate).isFile()) {
      return relative(root, candidate)
    }
  }
  return undefined
}

/** Every edge between two source files under `dirs` (packages and non-code files like .css or .json are left out). */
export function buildImportGraph(root: string, dirs: string[] = ['src', 'views']): ImportGraph {
  const files = dirs.flatMap((dir) => sourceFiles(root, dir)).sort()
  const known = new Set(files)
  const edges: ImportEdge[] = []
  for (const file of files) {
    for (const { specifier, typeOnly } of importSpecifiers(file, readFileSync(join(root, file), 'utf8'))) {
      if (!specifier.startsWith('.')) continue
      const to = resolveRelative(root, file, specifier)
      if (to !== undefined && known.has(to)) edges.push({ from: file, to, typeOnly })
    }
  }
  return { files, edges }
}

/** Strongly connected components with more than one file (Tarjan), each sorted, i.e. the import cycles. */
export function importCycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>(graph.files.map((file) => [file, []]))
  for (const edge of graph.edges) next.get(edge.from)!.push(edge.to)
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const cycles: string[][] = []
  let counter = 0
  const connect = (file: string): void => {
    index.set(file, counter)
    low.set(file, counter)
    counter++
    stack.push(file)
    onStack.add(file)
    for (const to of next.get(file)!) {
      if (!index.has(to)) {
        connect(to)
        low.set(file, Math.min(low.get(file)!, low.get(to)!))
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!))
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== file)
      const selfLoop = next.get(file)!.includes(file)
      if (component.length > 1 || selfLoop) cycles.push(component.sort())
    }
  }
  for (const file of graph.files) if (!index.has(file)) connect(file)
  return cycles
}

/** The layer a file belongs to: `views` for all of views/, else its folder under src/ (or its name, for a file there). */
export function layerOf(file: string): string {
  const parts = file.replace(/\.tsx?$/, '').split('/')
  return parts[0] === 'views' ? 'views' : parts[1]!
}

export type LayerViolation = ImportEdge & { fromLayer: string; toLayer: string; why: string }

/**
 * Imports that break the layering: into a layer above, into a sibling on the same row, or from a file whose layer
 * is in no row (a new folder must be given its place). `layers` is lowest first.
 */
export function layerViolations(graph: ImportGraph, layers: readonly (readonly string[])[]): LayerViolation[] {
  const rank = new Map<string, number>()
  layers.forEach((row, i) => row.forEach((layer) => rank.set(layer, i)))
  const out: LayerViolation[] = []
  for (const edge of graph.edges) {
    const fromLayer = layerOf(edge.from)
    const toLayer = layerOf(edge.to)
    if (fromLayer === toLayer) continue
    const from = rank.get(fromLayer)
    const to = rank.get(toLayer)
    let why: string | null = null
    if (from === undefined || to === undefined) why = `layer ${from === undefined ? fromLayer : toLayer} is in no row`
    else if (to > from) why = 'imports a layer above'
    else if (to === from) why = 'imports a sibling on the same row'
    if (why) out.push({ ...edge, fromLayer, toLayer, why })
  }
  return out
}

if (import.meta.main) {
  const { LAYERS } = await import('../../src/domain')
  const graph = buildImportGraph(join(import.meta.dir, '..', '..'))
  const cycles = importCycles(graph)
  const violations = layerViolations(graph, LAYERS)
  console.log(`${graph.files.length} files, ${graph.edges.length} imports, ${cycles.length} cycles, ${violations.length} imports against the layering`)
  for (const cycle of cycles) console.log(`cycle: ${cycle.join(' ')}`)
  for (const v of violations) console.log(`against the layering: ${v.from} -> ${v.to} (${v.why})`)
  const between = new Map<string, number>()
  for (const e of graph.edges) {
    const key = `${layerOf(e.from)} -> ${layerOf(e.to)}`
    if (layerOf(e.from) !== layerOf(e.to)) between.set(key, (between.get(key) ?? 0) + 1)
  }
  for (const [key, n] of [...between].sort()) console.log(`${key}: ${n}`)
}
