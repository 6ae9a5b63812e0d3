import type { Endpoint } from '../domain'
import type { BaseUrlOverride, Provider, RoutableEndpoint, TargetInput, UpstreamTarget } from './types'

// Not `messages`: Anthropic's native API always sends usage, and has no `stream_options`.
const USAGE_ASKABLE: ReadonlySet<Endpoint> = new Set(['chat/completions', 'completions'])

/** The client's path appended to the base URL; the client's own `Authorization` goes through untouched. */
export function appendPath(input: TargetInput): UpstreamTarget {
  const base = input.baseUrl.endsWith('/') ? input.baseUrl.slice(0, -1) : input.baseUrl
  return { url: base + input.path + input.search, setHeaders: {}, removeHeaders: [] }
}

/**
 * `--<id>-base-url` and `LECTR_<ID>_BASE_URL`.
 * @example baseUrlOverride('groq', "override Groq's upstream base URL").env // 'LECTR_GROQ_BASE_URL'
 */
export function baseUrlOverride(id: string, help: string): BaseUrlOverride {
  return { flag: `--${id}-base-url`, env: `LECTR_${id.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_BASE_URL`, help }
}

export interface OpenAiCompatibleSpec<Id extends string> {
  id: Id
  label: string
  /** `/v1` (or the provider's equivalent) included */
  baseUrl: string
  prefixes: readonly string[]
  /** `ask`: usage in streams only with `stream_options.include_usage`; `always`: sent anyway, never asked */
  streamUsage: 'ask' | 'always'
  /** the endpoints a routing rule may send to it */
  serves: readonly RoutableEndpoint[]
  /** the base-URL setting's help line; default: "override <label>'s upstream base URL" */
  baseUrlHelp?: string
}

/**
 * A provider that speaks OpenAI's API at its base URL: a new one is a file calling this and a line in
 * src/providers/index.ts.
 */
export function openAiCompatible<const Id extends string>(spec: OpenAiCompatibleSpec<Id>): Provider<Id> {
  const asks = spec.streamUsage === 'ask'
  return {
    id: spec.id,
    label: spec.label,
    baseUrl: spec.baseUrl,
    prefixes: Object.freeze([...spec.prefixes]),
    baseUrlOverride: baseUrlOverride(spec.id, spec.baseUrlHelp ?? `override ${spec.label}'s upstream base URL`),
    serves: new Set(spec.serves),
    asksForStreamUsage: (endpoint) => asks && USAGE_ASKABLE.has(endpoint),
    target: appendPath,
  }
}
