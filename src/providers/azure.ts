import type { Endpoint } from '../usage/types'
import type { Provider, TargetInput } from './types'

/** Azure's classic API takes `stream_options.include_usage` from this version on (previews and GA alike). */
const FIRST_STREAM_USAGE_VERSION = '2024-09-01'
const DEPLOYMENT_ENDPOINTS: ReadonlySet<Endpoint> = new Set(['chat/completions', 'completions', 'embeddings'])

/** `2024-10-21` and `2024-09-01-preview` support usage in streams; `2024-06-01` and earlier answer 400 to it. */
export function azureSupportsStreamUsage(apiVersion: string | undefined): boolean {
  if (!apiVersion) return false
  if (apiVersion === 'v1' || apiVersion === 'latest' || apiVersion === 'preview') return true
  return apiVersion.slice(0, 10) >= FIRST_STREAM_USAGE_VERSION
}

/**
 * Azure OpenAI. `model` is the deployment name. Classic API: `{endpoint}/openai/deployments/{model}/{path}?api-version=…`;
 * `apiVersion: "v1"`: `{endpoint}/openai/v1/{path}`. The key goes in `api-key`, never in `Authorization`.
 */
export const azure: Provider = {
  id: 'azure',
  asksForStreamUsage: (endpoint, apiVersion) =>
    (endpoint === 'chat/completions' || endpoint === 'completions') && azureSupportsStreamUsage(apiVersion),
  target(input: TargetInput) {
    const endpoint = input.baseUrl.replace(/\/+$/, '')
    const setHeaders: Record<string, string> = {}
    if (input.providerKey) setHeaders['api-key'] = input.providerKey
    const removeHeaders = ['authorization']
    if (input.apiVersion === 'v1') {
      return { url: `${endpoint}/openai/v1${input.path}${input.search}`, setHeaders, removeHeaders }
    }
    const endpointName = input.path.slice(1) as Endpoint
    if (!DEPLOYMENT_ENDPOINTS.has(endpointName)) {
      return { error: `Azure's classic API serves chat/completions, completions and embeddings per deployment; ${input.path} needs apiVersion "v1"` }
    }
    if (!input.model) return { error: 'Azure needs the deployment name in the "model" field' }
    const query = new URLSearchParams(input.search)
    query.set('api-version', input.apiVersion ?? '')
    return {
      url: `${endpoint}/openai/deployments/${encodeURIComponent(input.model)}${input.path}?${query}`,
      setHeaders,
      removeHeaders,
    }
  },
}
