import type { Endpoint, Meter } from '../domain'
import type { Provider, TargetInput } from './types'

/** Azure's classic API takes `stream_options.include_usage` from this version on (previews and GA alike). */
const FIRST_STREAM_USAGE_VERSION = '2024-09-01'
const DEPLOYMENT_ENDPOINTS: ReadonlySet<Endpoint> = new Set(['chat/completions', 'completions', 'embeddings'])

/**
 * `2024-10-21` and `2024-09-01-preview` (and later) support usage in streams; `2024-06-01` and earlier answer 400 to it.
 * @example azureSupportsStreamUsage('2024-09-01-preview') // true
 * @example azureSupportsStreamUsage('2024-06-01')         // false
 */
export function azureSupportsStreamUsage(apiVersion: string | undefined): boolean {
  if (!apiVersion) return false
  if (apiVersion === 'v1' || apiVersion === 'latest' || apiVersion === 'preview') return true
  return apiVersion.slice(0, 10) >= FIRST_STREAM_USAGE_VERSION
}

/**
 * Why a deployment name cannot go into the URL path, or null when it can. Every name is percent-encoded as one
 * path segment (`a/b` → `a%2Fb`, `%2e%2e` → `%252e%252e`), but `.` and `..` are dot segments that fetch's URL
 * parser would resolve (`/openai/deployments/../chat/completions` → `/openai/chat/completions`), and a lone
 * surrogate cannot be encoded at all.
 */
export function deploymentNameProblem(model: string | null): string | null {
  if (!model) return 'Azure needs the deployment name in the "model" field'
  if (/^\.+$/.test(model)) return `"${model}" is not a valid Azure deployment name`
  if (!model.isWellFormed()) return 'The "model" field is not a valid Azure deployment name (it holds an unpaired surrogate)'
  return null
}

/**
 * The client's query, less `api-version`: the org's setting decides the API version, never the client (an
 * AzureOpenAI-style client adds its own). Everything else in the query is passed on.
 */
function clientQuery(search: string): URLSearchParams {
  const query = new URLSearchParams(search)
  query.delete('api-version')
  return query
}

/**
 * Azure OpenAI. `model` is the deployment name. Classic API: `{endpoint}/openai/deployments/{model}/{path}?api-version=…`
 * for chat/completions, completions and embeddings; `apiVersion: "v1"`: `{endpoint}/openai/v1/{path}` for any path,
 * `model` left in the body. The key goes in `api-key`, never in `Authorization`. A client's own `api-version`
 * query parameter is replaced by the org's (classic) or removed (v1).
 *
 * @example
 * azure.target({ baseUrl: 'https://contoso.openai.azure.com', path: '/chat/completions', search: '', model: 'prod', providerKey: 'k', apiVersion: '2024-10-21' })
 * // { url: 'https://contoso.openai.azure.com/openai/deployments/prod/chat/completions?api-version=2024-10-21', setHeaders: { 'api-key': 'k' }, removeHeaders: ['authorization'] }
 */
export const azure: Provider<'azure'> = {
  id: 'azure',
  label: 'Azure OpenAI',
  // The endpoint is the org's own (Settings → Azure); models are detected as OpenAI's, or by X-Lectr-Provider.
  baseUrl: null,
  prefixes: [],
  baseUrlOverride: null,
  serves: new Set(['chat/completions', 'completions', 'embeddings', 'responses']),
  asksForStreamUsage: (endpoint, apiVersion) =>
    (endpoint === 'chat/completions' || endpoint === 'completions') && azureSupportsStreamUsage(apiVersion),
  target(input: TargetInput) {
    const endpoint = input.baseUrl.replace(/\/+$/, '')
    const setHeaders: Record<string, string> = {}
    if (input.providerKey) setHeaders['api-key'] = input.providerKey
    const removeHeaders = ['authorization']
    const query = clientQuery(input.search)
    if (input.apiVersion === 'v1') {
      const qs = query.size ? `?${query}` : ''
      return { url: `${endpoint}/openai/v1${input.path}${qs}`, setHeaders, removeHeaders }
    }
    const endpointName = input.path.slice(1) as Endpoint
    if (!DEPLOYMENT_ENDPOINTS.has(endpointName)) {
      return { error: `Azure's classic API serves chat/completions, completions and embeddings per deployment; ${input.path} needs apiVersion "v1"` }
    }
    const problem = deploymentNameProblem(input.model)
    if (problem) return { error: problem }
    query.set('api-version', input.apiVersion ?? '')
    return {
      url: `${endpoint}/openai/deployments/${encodeURIComponent(input.model!)}${input.path}?${query}`,
      setHeaders,
      removeHeaders,
    }
  },
  orgEndpoint: (orgs, org) => orgs.getAzure(org),
  notConfiguredMessage: (org, origin) => azureNotConfiguredMessage(org, origin),
  keyInTarget: true,
  pinsAddress: true,
  wrapMeter: (meter) => watchContentFilter(meter),
}

/** `"finish_reason": "content_filter"` as JSON writes it; inside a JSON string its quotes would be escaped, so text never matches. */
const CONTENT_FILTER_FINISH = /"finish_reason"\s*:\s*"content_filter"/
/** How much of the previous chunk is kept so that a match split across two chunks is still found. */
const CARRY_CHARS = 128

/**
 * Azure ends a completion its output filter blocked with `finish_reason: "content_filter"` in a normal 200 answer
 * (or stream). The body passes through untouched; this only records `content_filter` as the event's error code when
 * the meter found no other error. A blocked prompt is a 400 with `error.code: "content_filter"`, which the meter
 * reads by itself.
 *
 * @example const meter = watchContentFilter(createMeter(options))
 */
export function watchContentFilter(meter: Meter): Meter {
  const decoder = new TextDecoder()
  let carry = ''
  let seen = false
  return {
    push(chunk) {
      if (!seen) {
        const text = carry + decoder.decode(chunk, { stream: true })
        if (CONTENT_FILTER_FINISH.test(text)) seen = true
        else carry = text.slice(-CARRY_CHARS)
      }
      return meter.push(chunk)
    },
    flush: () => meter.flush(),
    sawTerminalEvent: () => meter.sawTerminalEvent?.() ?? false,
    finish(complete) {
      const result = meter.finish(complete)
      return seen && !result.errorCode ? { ...result, errorCode: 'content_filter' } : result
    },
  }
}

/**
 * What a client is told when its org has no Azure settings: where to set them, and the exact `curl` line, with
 * the address the client used to reach Lectr (when it looks like a plain origin; otherwise a placeholder).
 *
 * @example azureNotConfiguredMessage('default', 'http://127.0.0.1:8080')
 * // '… curl -X PUT http://127.0.0.1:8080/api/orgs/default/providers/azure -H "Authorization: Bearer $LECTR_ADMIN_TOKEN" …'
 */
export function azureNotConfiguredMessage(orgId: string, origin: string): string {
  const base = /^https?:\/\/[A-Za-z0-9.:[\]-]+$/.test(origin) ? origin : 'http://LECTR_HOST:8080'
  return (
    `Azure is not configured for org "${orgId}". Set its endpoint and API version in the dashboard (Settings → Providers → Azure) or with: ` +
    azureConfigureCurl(orgId, base)
  )
}

/** The `curl` line that saves an org's Azure settings through the admin API. */
export function azureConfigureCurl(orgId: string, base: string): string {
  return (
    `curl -X PUT ${base}/api/orgs/${orgId}/providers/azure -H "Authorization: Bearer $LECTR_ADMIN_TOKEN" -H "Content-Type: application/json" ` +
    `-d '{"endpoint":"https://YOUR-RESOURCE.openai.azure.com","apiVersion":"2024-10-21"}'`
  )
}
