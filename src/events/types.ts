import type { ProviderId, Task } from '../registry/schema'
import type { Endpoint } from '../usage/types'

/** `endpoint`: Anthropic's native Messages API, which always goes to Anthropic. */
export type Detection = 'header' | 'exact' | 'prefix' | 'fallback' | 'endpoint'

/** One /v1 request, as recorded in the event log (SPEC section 3). Never a prompt, a completion or a key. */
export interface LectrEvent {
  id: string
  /** ISO 8601 */
  time: string
  org: string
  provider: ProviderId
  providerUnknown: boolean
  detection: Detection
  model: string | null
  responseModel: string | null
  endpoint: Endpoint
  stream: boolean
  status: number
  errorCode: string | null
  inputTokens: number | null
  cachedInputTokens: number | null
  /** cache writes (Anthropic's 5-minute writes, and writes without a split); part of `inputTokens` */
  cacheWriteTokens: number | null
  /** Anthropic's 1-hour cache writes; part of `inputTokens` */
  cacheWrite1hTokens: number | null
  outputTokens: number | null
  reasoningTokens: number | null
  costUsd: number | null
  latencyMs: number
  ttfbMs: number | null
  feature: string | null
  task: Task | null
  /** true when the tokens are those seen before the stream was cut, not the provider's totals */
  usageEstimated: boolean
  /** the registry version the cost was computed with */
  registryVersion: string
  // Routing (SPEC section 9). Optional so that events built before routing (a spill file, tests) still type;
  // absent means null (attempts: as recorded, null for old events).
  /** the upstream whose answer the client got, when a rule sent the request elsewhere; null: sent as is */
  routedProvider?: ProviderId | null
  routedModel?: string | null
  /** the rule that applied (or was skipped) */
  ruleId?: string | null
  arm?: 'canary' | 'control' | null
  /** why the matching rule was skipped: no_key, unsupported_endpoint, azure_not_configured */
  routeSkipped?: string | null
  /** upstream calls made: 1 without fallbacks, 0 when Lectr answered itself */
  attempts?: number | null
  /** the same tokens priced at the requested model, for a routed request; null otherwise or unpriced */
  baselineCostUsd?: number | null
}
