/**
 * The ground floor: the words every part of Lectr shares (which provider, which task, which endpoint, how many
 * tokens, how a provider was found, the event), as pure types and constants. It imports nothing, so anything may
 * import it and nothing here can pull a layer above into a cycle.
 *
 * Layers, lowest first. A module imports only from layers below its own: never from one above, never from a
 * sibling on the same row (siblings share through a lower row). test/architecture.test.ts checks this table
 * against every import in src/ and views/, and that no import cycle exists.
 *
 *   0  domain                                   this file
 *   1  start-error version limits net http     leaves: no Lectr vocabulary beyond this file
 *      log reexec
 *   2  db auth start-problems                   the database file, secrets, admin token and sessions
 *   3  providers                                one module per provider (data plus pure functions)
 *   4  usage registry                           meters of answer bodies (pure); models, prices, detection (pure)
 *                                               and the store that reloads them
 *   5  rollups                                  the roll-up tables' write side (deltas from inserted events, upserts)
 *   6  events recommend orgs config             the event log (storage); the pure engine; org names (slugs); settings
 *   7  routing                                  rules, matching, canaries
 *   8  storage                                  what is stored, behind interfaces; SQLite (sqlite/), Postgres (postgres/)
 *   9  operations                               what the admin API and the dashboard both do (deps, health, export, canary, restore)
 *  10  views                                    (data) => html; types from below, never a surface
 *  11  proxy admin dashboard metrics            the surfaces: /v1, /api, /, /metrics
 *  12  app cli                                  the app wires the surfaces together; the CLI's commands
 *  13  server                                   listen, stores, writer, drain
 *  14  main                                     the process
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['domain'],
  ['start-error', 'version', 'limits', 'net', 'http', 'log', 'reexec', 'event-loop'],
  ['db', 'auth', 'start-problems'],
  ['providers'],
  ['usage', 'registry'],
  // rollups: a row of its own, below events, as the event writer calls its write side (writeRollups)
  ['rollups'],
  ['events', 'recommend', 'orgs', 'config'],
  ['routing'],
  ['storage'],
  ['operations'],
  ['views'],
  ['proxy', 'admin', 'dashboard', 'metrics'],
  ['app', 'cli'],
  ['server'],
  ['main'],
]

/**
 * The providers Lectr can forward to. src/providers/index.ts's PROVIDER_LIST is the list (its order, modules and
 * PROVIDER_IDS); this is its ids as a type, here so that the floor needs nothing above it. The compiler checks the
 * two agree (see `SameIds` in src/providers/index.ts): a new provider is added to both.
 */
/** Roll-ups, retention and windows count in UTC hours and days. */
export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

export type ProviderId = 'openai' | 'anthropic' | 'groq' | 'gemini' | 'azure'

export const TASKS = ['classification', 'extraction', 'summarisation', 'generation', 'reasoning'] as const
export type Task = (typeof TASKS)[number]

export type Endpoint =
  | 'chat/completions'
  | 'completions'
  | 'embeddings'
  | 'responses'
  | 'messages'
  | 'messages/count_tokens'
  | 'other'

/**
 * Token counts as Lectr records them (OpenTelemetry's convention). `inputTokens` includes every input token: cache
 * reads (`cachedInputTokens`) and cache writes (`cacheWriteTokens`, `cacheWrite1hTokens`); `outputTokens` includes
 * reasoning tokens.
 */
export interface Usage {
  inputTokens: number
  cachedInputTokens: number
  /** input tokens written to a cache: Anthropic's 5-minute writes, and writes it did not split by duration */
  cacheWriteTokens: number
  /** input tokens written to Anthropic's 1-hour cache */
  cacheWrite1hTokens: number
  outputTokens: number
  reasoningTokens: number
}

/** What a meter learned from an upstream answer body. */
export interface MeterResult {
  /** null when the provider never sent its totals and there was nothing to estimate them from (see `estimated`). */
  usage: Usage | null
  /**
   * true when a stream ended (normally or cut off) without its totals and `usage` holds an estimate: the last
   * running total (Gemini, cut off), or else input estimated from the request's size and output from the generated
   * text at 4 characters per token. See `createSseMeter`.
   */
  estimated: boolean
  /** the model the provider named in its answer */
  responseModel: string | null
  /** an error code the provider sent in the body (`error.code` / `error.type` / Google's `error.status`), including mid-stream errors */
  errorCode: string | null
}

/**
 * Watches an upstream answer body as it passes through.
 * `push` returns the bytes to forward to the client (the same chunk unless something is removed);
 * `finish` is called once when the body ended or was cut off.
 */
export interface Meter {
  push(chunk: Uint8Array): Uint8Array
  /** bytes held back at the end of the body (a trailing partial event), to forward before closing */
  flush(): Uint8Array | null
  finish(complete: boolean): MeterResult
  /**
   * Whether the body pushed so far held the stream's terminal event (`data: [DONE]`, `message_stop`,
   * `response.completed`): a client that leaves after receiving it has had the whole answer. Event streams only.
   */
  sawTerminalEvent?(): boolean
}

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

/**
 * One (provider, model, task, feature) group's traffic, summed over a window.
 * The caller builds these from the event roll-ups; the engine never queries anything itself.
 * Token counts follow `Usage`: `inputTokens` includes `cachedInputTokens`.
 */
export interface UsageGroup {
  provider: ProviderId
  /** the model as requested (may carry a date suffix, e.g. `gpt-4o-2024-08-06`) */
  model: string
  task: Task | null
  feature: string | null
  requests: number
  inputTokens: number
  cachedInputTokens: number
  /** cache writes (5-minute and unsplit; 1-hour), also part of `inputTokens` */
  cacheWriteTokens: number
  cacheWrite1hTokens: number
  outputTokens: number
  /** what was recorded at request time; the engine re-prices from the registry instead (see engine.ts) */
  costUsd: number
  unpricedRequests: number
}
