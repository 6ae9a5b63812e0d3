import type { ProviderId } from '../registry/schema'
import type { Endpoint } from '../usage/types'
import type { Provider, TargetInput, UpstreamTarget } from './types'

// Not `messages`: Anthropic's native API always sends usage, and has no `stream_options`.
const USAGE_ASKABLE: ReadonlySet<Endpoint> = new Set(['chat/completions', 'completions'])

/** The client's path appended to the base URL; the client's own `Authorization` goes through untouched. */
export function appendPath(input: TargetInput): UpstreamTarget {
  const base = input.baseUrl.endsWith('/') ? input.baseUrl.slice(0, -1) : input.baseUrl
  return { url: base + input.path + input.search, setHeaders: {}, removeHeaders: [] }
}

/** A provider that speaks OpenAI's API at its base URL. */
export function openAiCompatible(id: ProviderId, streamUsage: 'ask' | 'always'): Provider {
  return {
    id,
    asksForStreamUsage: (endpoint) => streamUsage === 'ask' && USAGE_ASKABLE.has(endpoint),
    target: appendPath,
  }
}
