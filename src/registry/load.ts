import type { TSchema } from '@sinclair/typebox'
import { Value, type ValueError } from '@sinclair/typebox/value'
import { PROVIDER_LIST } from '../providers'
import type { Provider } from '../providers/types'
import builtinData from './builtin.json'
import { prefixTable, resolveProviders } from './resolve-providers'
import { RegistryFile, registrySchemas, type ModelEntry, type ProviderEntry, type Registry } from './schema'

export type ParseResult = { ok: true; registry: Registry } | { ok: false; errors: string[] }

const DEFAULT_LONG_PROMPT_TOKENS = 4000
const DEFAULT_MIN_REQUESTS = 20

/**
 * Parses and validates a registry file's text, reporting every problem at once, each prefixed with `source`.
 *
 * @example
 * const result = parseRegistry(readFileSync(path, 'utf8'), path)
 * if (!result.ok) for (const line of result.errors) console.error(line)
 */
export function parseRegistry(text: string, source: string): ParseResult {
  // Editors on Windows like to start files with a byte-order mark, which JSON.parse refuses.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  let data: unknown
  try {
    data = JSON.parse(json)
  } catch (error) {
    return { ok: false, errors: [`${source}: ${describeJsonError(json, error)}`] }
  }
  return validateRegistry(data, source)
}

/**
 * Validates already-parsed registry data: the TypeBox schema, then the cross-references the schema cannot
 * express. Both kinds are reported together. `providers` is src/providers' list; a test passes a longer one.
 */
export function validateRegistry(data: unknown, source: string, providers: readonly Provider<string>[] = PROVIDER_LIST): ParseResult {
  const ids: ReadonlySet<unknown> = new Set(providers.map((p) => p.id))
  const problems = [...schemaProblems(fileSchemaFor(providers), data), ...semanticProblems(data, ids)]
  if (problems.length > 0) return { ok: false, errors: problems.map((problem) => `${source}: ${problem}`) }
  return { ok: true, registry: buildRegistry(data as RegistryFile, providers) }
}

const otherSchemas = new WeakMap<readonly Provider<string>[], TSchema>()

function fileSchemaFor(providers: readonly Provider<string>[]): TSchema {
  if (providers === PROVIDER_LIST) return RegistryFile
  let schema = otherSchemas.get(providers)
  if (!schema) otherSchemas.set(providers, (schema = registrySchemas(providers.map((p) => p.id)).RegistryFile))
  return schema
}

let builtin: Registry | null = null

/** The registry embedded in the binary. Validated once; a broken builtin.json is a build bug and throws. */
export function builtinRegistry(): Registry {
  if (builtin) return builtin
  const result = validateRegistry(builtinData, 'builtin')
  if (!result.ok) throw new Error(`the built-in registry is invalid:\n${result.errors.join('\n')}`)
  builtin = result.registry
  return builtin
}

function buildRegistry(file: RegistryFile, list: readonly Provider<string>[]): Registry {
  const providers = resolveProviders(list, file.providers)
  return Object.freeze({
    file,
    version: file.version,
    longPromptTokens: file.settings?.longPromptTokens ?? DEFAULT_LONG_PROMPT_TOKENS,
    minRequests: file.settings?.minRequests ?? DEFAULT_MIN_REQUESTS,
    models: new Map(file.models.map((model) => [model.id, model])),
    providers: new Map(providers.map((provider) => [provider.id, provider])),
    prefixes: prefixTable(providers),
  })
}

// ---------------------------------------------------------------- schema errors

/** Every TypeBox error as `path: message`, with union errors narrowed to the branch the value was meant for. */
function schemaProblems(schema: TSchema, data: unknown): string[] {
  return [...Value.Errors(schema, data)].flatMap(describeSchemaError)
}

function describeSchemaError(error: ValueError): string[] {
  const path = error.path || '/'
  const variants: TSchema[] | undefined = error.schema.anyOf
  if (!variants || error.errors.length === 0) return [`${path}: ${error.message}`]
  // A union of literals (provider ids) reads best as the list of allowed values.
  if (variants.every((variant) => 'const' in variant)) {
    return [`${path}: Expected one of ${variants.map((variant) => JSON.stringify(variant.const)).join(', ')}`]
  }
  // `price: Price | null` given an object: the object branch's own errors are what the author needs.
  const meant = variants.findIndex((variant) => variant.type === jsonType(error.value))
  if (meant >= 0) return [...error.errors[meant]!].flatMap(describeSchemaError)
  return [`${path}: Expected ${variants.map((variant) => variant.type ?? 'value').join(' or ')}`]
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

// ---------------------------------------------------------------- semantic errors

type Indexed<T> = { at: string; value: Partial<T> }

/**
 * Cross-reference checks. They read the data defensively so that they still run, and still report, when the
 * schema check has already found entries of the wrong shape.
 */
function semanticProblems(data: unknown, ids: ReadonlySet<unknown>): string[] {
  if (!isRecord(data)) return []
  const providers = entries<ProviderEntry>(data.providers, '/providers')
  const models = entries<ModelEntry>(data.models, '/models')
  return [
    // A provider without an entry keeps its module's base URL and prefixes (src/providers), so none is required.
    ...duplicates(providers, 'provider'),
    ...prefixProblems(providers),
    ...modelProblems(models),
    ...downgradeProblems(models, ids),
    ...cycleProblems(models),
  ]
}

function prefixProblems(providers: Indexed<ProviderEntry>[]): string[] {
  const problems: string[] = []
  const seen = new Map<string, string>()
  for (const { at, value } of providers) {
    if (!Array.isArray(value.prefixes)) continue
    value.prefixes.forEach((prefix, index) => {
      if (typeof prefix !== 'string') return
      const first = seen.get(prefix)
      if (first) problems.push(`${at}/prefixes/${index}: prefix "${prefix}" is listed twice (also ${first})`)
      else seen.set(prefix, `${value.id} at ${at}/prefixes/${index}`)
    })
  }
  return problems
}

function modelProblems(models: Indexed<ModelEntry>[]): string[] {
  const problems = duplicates(models, 'model')
  for (const { at, value } of models) {
    if (value.provider === 'azure') {
      problems.push(`${at}/provider: azure serves OpenAI's models, which it prices with the "openai" entries: list the model under "openai"`)
    }
    if (isRecord(value.price) && Array.isArray(value.price.tiers)) {
      const thresholds = new Set<unknown>()
      value.price.tiers.forEach((tier, index) => {
        const threshold = isRecord(tier) ? tier.aboveInputTokens : undefined
        if (threshold === undefined) return
        if (thresholds.has(threshold)) problems.push(`${at}/price/tiers/${index}/aboveInputTokens: ${threshold} is used by two tiers`)
        thresholds.add(threshold)
      })
    }
  }
  return problems
}

const DOWNGRADE_KINDS = ['conservative', 'aggressive'] as const

function downgradeProblems(models: Indexed<ModelEntry>[], ids: ReadonlySet<unknown>): string[] {
  const problems: string[] = []
  const byId = new Map(models.map(({ value }) => [value.id, value]))
  for (const { at, value } of models) {
    for (const kind of DOWNGRADE_KINDS) {
      const target = downgradeTarget(value, kind)
      if (target === undefined) continue
      const entry = byId.get(target)
      if (!entry) problems.push(`${at}/downgrade/${kind}: "${target}" is not a model in this registry`)
      // A provider that is not a provider at all has its own schema error; a second message would be noise.
      else if (entry.provider !== value.provider && ids.has(entry.provider) && ids.has(value.provider)) {
        problems.push(`${at}/downgrade/${kind}: "${target}" belongs to ${entry.provider}; downgrades stay within ${value.provider}`)
      }
    }
  }
  return problems
}

/** Cycles over both kinds of downgrade edge: following any chain of downgrades must end. */
function cycleProblems(models: Indexed<ModelEntry>[]): string[] {
  const edges = new Map<string, string[]>()
  const where = new Map<string, string>()
  for (const { at, value } of models) {
    if (typeof value.id !== 'string' || edges.has(value.id)) continue
    where.set(value.id, at)
    const targets = DOWNGRADE_KINDS.map((kind) => downgradeTarget(value, kind)).filter((t): t is string => t !== undefined)
    edges.set(value.id, [...new Set(targets)])
  }
  const problems: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (id: string): void => {
    state.set(id, 'open')
    path.push(id)
    for (const next of edges.get(id) ?? []) {
      if (!edges.has(next)) continue
      if (state.get(next) === 'open') {
        const cycle = [...path.slice(path.indexOf(next)), next]
        problems.push(`${where.get(next)}/downgrade: downgrade cycle ${cycle.join(' → ')}`)
      } else if (!state.has(next)) visit(next)
    }
    path.pop()
    state.set(id, 'done')
  }
  for (const id of edges.keys()) if (!state.has(id)) visit(id)
  return problems
}

function downgradeTarget(model: Partial<ModelEntry>, kind: (typeof DOWNGRADE_KINDS)[number]): string | undefined {
  const target = isRecord(model.downgrade) ? model.downgrade[kind] : undefined
  return typeof target === 'string' ? target : undefined
}

function duplicates(items: Indexed<{ id: string }>[], what: string): string[] {
  const problems: string[] = []
  const first = new Map<string, string>()
  for (const { at, value } of items) {
    if (typeof value.id !== 'string') continue
    const earlier = first.get(value.id)
    if (earlier) problems.push(`${at}/id: duplicate ${what} "${value.id}" (also ${earlier})`)
    else first.set(value.id, at)
  }
  return problems
}

function entries<T>(list: unknown, at: string): Indexed<T>[] {
  if (!Array.isArray(list)) return []
  return list.flatMap((value, index) => (isRecord(value) ? [{ at: `${at}/${index}`, value: value as Partial<T> }] : []))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// ---------------------------------------------------------------- JSON syntax errors

/** JSON.parse in Bun names no position, and "Expected '}'" alone is no help in a 300-line file. */
function describeJsonError(text: string, error: unknown): string {
  const reason = String(error instanceof Error ? error.message : error).replace(/^JSON Parse error: /, '')
  const offset = jsonErrorOffset(text)
  const before = text.slice(0, offset).split('\n')
  return `invalid JSON at line ${before.length}, column ${before.at(-1)!.length + 1}: ${reason}`
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const LITERALS = ['true', 'false', 'null']

/** Offset of the first character a strict JSON reader rejects (only called once JSON.parse has failed). */
function jsonErrorOffset(text: string): number {
  let i = 0
  const fail = (): never => {
    throw i
  }
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const string = () => {
    i++
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 0x22) return void i++
      if (c < 0x20) fail()
      i += c === 0x5c ? 2 : 1
    }
    fail()
  }
  const list = (close: string, item: () => void) => {
    i++
    space()
    if (text[i] === close) return void i++
    for (;;) {
      item()
      space()
      if (text[i] === ',') i++
      else if (text[i] === close) return void i++
      else fail()
    }
  }
  const value = (): void => {
    space()
    const c = text[i]
    if (c === '{') {
      list('}', () => {
        space()
        if (text[i] !== '"') fail()
        string()
        space()
        if (text[i] !== ':') fail()
        i++
        value()
      })
    } else if (c === '[') list(']', value)
    else if (c === '"') string()
    else {
      const literal = LITERALS.find((word) => text.startsWith(word, i))
      if (literal) return void (i += literal.length)
      NUMBER.lastIndex = i
      if (!NUMBER.test(text)) fail()
      i = NUMBER.lastIndex
    }
  }
  try {
    value()
    space()
    return i < text.length ? i : text.length
  } catch (offset) {
    return offset as number
  }
}
