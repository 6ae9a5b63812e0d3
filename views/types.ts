/**
 * The data each dashboard view takes. Views are pure `(data) => string` functions; the dashboard routes
 * (src/dashboard) gather this data and pick the view.
 */
import type { LectrEvent } from '../src/domain'
import type { ProviderId, Task } from '../src/domain'
import type { ModelEntry } from '../src/registry/schema'
import type { PriceOverride } from '../src/registry/overlay'
import type { UnpricedModel } from '../src/storage/events'

export type { LectrEvent, ModelEntry, ProviderId, Task, PriceOverride, UnpricedModel }

/** The time windows the dashboard offers, ending now. */
export type Range = '24h' | '7d' | '30d'
export const RANGES: readonly Range[] = ['24h', '7d', '30d']

/** Which nav entry is highlighted. */
export type NavKey = 'overview' | 'models' | 'events' | 'recommendations' | 'azure' | 'keys' | 'routing' | 'registry'

export interface OrgOption {
  id: string
  name: string
}

/** Everything the shared page frame needs. */
export interface LayoutData {
  /** the page's own title; the document title is "<title> · Lectr" */
  title: string
  active: NavKey | null
  orgs: OrgOption[]
  /** id of the org the session is looking at */
  currentOrg: string
  /** CSRF token for every POST form on the page (field `_csrf`) */
  csrf: string
  /** the registry's last reload error, shown as a banner on every page; null/empty when the last reload was fine */
  registryError?: string[] | null
  /** why the event log is not keeping every event (unwritable, or events lost), shown as a banner; null when fine */
  eventLogWarning?: string | null
}

export interface SigninData {
  /** a message after a failed attempt, e.g. "That token is not valid." */
  error?: string | null
  /** optional pre-session CSRF token (field `_csrf`), for sign-in CSRF protection */
  csrf?: string | null
  /** where to go after signing in (field `next`), a local path */
  next?: string | null
}

export interface OverviewTotals {
  requests: number
  /** priced requests only; unpriced ones are counted in `unpricedRequests` */
  costUsd: number
  unpricedRequests: number
  /** null when there were no requests */
  avgLatencyMs: number | null
  p95LatencyMs: number | null
  /** failed requests / requests, 0..1; null when there were no requests */
  errorRate: number | null
  /** token sums; input includes cached input */
  inputTokens: number
  cachedInputTokens: number
  outputTokens: number
}

/** One line of a breakdown (by provider, by feature): what its requests cost. */
export interface BreakdownRow {
  /** the provider id, or the feature tag ('' for requests without one) */
  key: string
  requests: number
  costUsd: number
  unpricedRequests: number
}

/** One time slice of the chart. */
export interface UsageBucket {
  /** ISO 8601 start of the bucket */
  start: string
  requests: number
  costUsd: number
  /** requests with a status >= 400 */
  errors: number
}

export interface OverviewData {
  range: Range
  totals: OverviewTotals
  /** contiguous and oldest first, empty buckets included (bars are placed by index) */
  buckets: UsageBucket[]
  /** most cost first (then most requests) */
  byProvider: BreakdownRow[]
  /** most cost first (then most requests); at most `FEATURE_ROWS`, the rest summed in `otherFeatures` */
  byFeature: BreakdownRow[]
  otherFeatures: (BreakdownRow & { features: number }) | null
}

/** One row of the model table: the admin API's model distribution row (src/events/queries.ts). */
import type { ModelRow } from '../src/storage/rollups'
export type { ModelRow }

export type ModelSort = 'model' | 'provider' | 'requests' | 'input' | 'output' | 'cost' | 'latency'
export const MODEL_SORTS: readonly ModelSort[] = ['model', 'provider', 'requests', 'input', 'output', 'cost', 'latency']
export type SortDir = 'asc' | 'desc'

export interface ModelsData {
  /** in any order: the view sorts them by `sort` and `dir` */
  rows: ModelRow[]
  /** the provider filter, null for all */
  provider: string | null
  range: Range
  sort: ModelSort
  dir: SortDir
}

export type StatusFilter = 'ok' | 'error'

/** The events page filters; every one is a query parameter of the same name. */
export interface EventFilters {
  provider: string | null
  model: string | null
  feature: string | null
  task: string | null
  /** ok: status < 400; error: status >= 400 */
  status: StatusFilter | null
}

export interface EventsData {
  /** newest first, as the server returns them */
  rows: LectrEvent[]
  filters: EventFilters
  /** the cursor of the next (older) page, null on the last page */
  next: string | null
  /** true when this page was reached through a cursor, to offer "Newest" */
  paged?: boolean
  /** suggestions for the model and feature inputs (datalists) */
  knownModels?: string[]
  knownFeatures?: string[]
}

export interface EventDetailData {
  event: LectrEvent
}

/** One recommendation (SPEC section 6) with the group's average token mix: the engine's own type. */
import type { Recommendation as RecommendationRow } from '../src/recommend/types'
export type { Aggressiveness } from '../src/recommend/types'
export type { RecommendationRow }

export interface RecommendationsData {
  /** in any order: the view sorts them by monthly savings */
  rows: RecommendationRow[]
  /** the registry's minimum group size (20 unless the registry says otherwise) */
  minRequests: number
  /** the window the groups were measured over, in days (30 by default) */
  windowDays: number
  /** why "Try as a canary" created nothing */
  error?: string | null
  /** which page of `RECOMMENDATIONS_PER_PAGE` rows to show (1 when absent; kept within the pages there are) */
  page?: number | null
}

export interface AzureSettings {
  endpoint: string
  apiVersion: string
}

/** One problem from validating the Azure form; `field` null for a problem with the whole form. */
export interface FieldError {
  field: 'endpoint' | 'apiVersion' | string | null
  message: string
}

export interface AzureData {
  /** what is saved now, null when Azure is not configured */
  saved: AzureSettings | null
  /** what the user submitted, to refill the form after a failed save */
  form?: AzureSettings | null
  errors?: FieldError[]
  /** a confirmation to show after a save or delete, e.g. "Azure settings saved." */
  notice?: string | null
}

export interface OrgKey {
  id: string
  /** the key's public prefix, e.g. "lk_3f9a"; the secret part is never stored */
  prefix: string
  label: string | null
  /** ISO 8601 */
  createdAt: string
  /** ISO 8601, null while the key works */
  revokedAt: string | null
}

export interface KeysData {
  keys: OrgKey[]
  /** a key just created: shown this once */
  newKey?: string | null
  notice?: string | null
  /** a problem with the last action, e.g. a label that is too long */
  error?: string | null
}

export interface RegistryStatus {
  /** "built-in" or the file path */
  source: string
  version: string
  /** ISO 8601 of the last successful load */
  loadedAt: string
  /** the last reload's problems, null when it succeeded */
  lastError: string[] | null
  /** set when the registry comes from a URL (redacted: no userinfo, no query values) */
  url?: string
  /** ISO 8601 of the URL's last check, and of the next one (null: none) */
  checkedAt?: string | null
  nextCheckAt?: string | null
}

/** A provider as Lectr reaches it: the base URL in force and where it came from. */
export interface ProviderInForce {
  id: string
  /** null for Azure, whose endpoint is set per org */
  baseUrl: string | null
  /** the environment variable that overrides the registry's base URL, when it is set */
  overriddenBy: string | null
  prefixes: string[]
}

export interface RegistryData {
  status: RegistryStatus
  /** in the registry's order; left out, no providers section is shown */
  providers?: ProviderInForce[]
  models: ModelEntry[]
  notice?: string | null
  /** `error`: `notice` says what went wrong */
  noticeKind?: 'success' | 'error'
  /** ISO 8601 "now", to say how long ago the registry loaded; left out, only the time is shown */
  now?: string | null
  /** models seen without a price in the last 30 days, most unpriced requests first; left out: no such section */
  unpriced?: UnpricedModel[]
  /** the admin's prices; left out: no such section */
  overrides?: PriceOverride[]
  /** the org the re-price buttons act on (its name) */
  orgName?: string
}

export interface NotFoundData {
  /** what was not found, e.g. "No event with id evt_123." */
  message?: string | null
}

/** Routing rules (SPEC section 9): their types as the routing code has them. */
import type { Rule } from '../src/routing/schema'
import type { ArmRow } from '../src/storage/events'
import type { DryRunRuleResult } from '../src/routing/dry-run'
export type { Rule, ArmRow, DryRunRuleResult }

export interface RoutingVersionRow {
  version: number
  /** ISO 8601 */
  updatedAt: string
  ruleCount: number
  inForce: boolean
}

/** A dry run of the editor's text: its figures, and the marker the Save button sends back. */
export interface RoutingDryRun {
  results: DryRunRuleResult[]
  /** the proposed rules, in order (results may leave a rule out) */
  rules: Rule[]
  windowDays: number
  /** names the rule set that was dry-run; Save is refused for any other */
  checked: string
}

export interface RoutingData {
  /** 0 when the org has never saved rules */
  version: number
  /** ISO 8601; null when never saved */
  updatedAt: string | null
  rules: Rule[]
  /** newest first */
  versions: RoutingVersionRow[]
  /** each rule's arms over its lifetime, by rule then arm */
  arms: ArmRow[]
  /** the editor's text: the rules in force, or what was submitted */
  editor: string
  /** what is wrong with the submitted text (nothing was saved) */
  problems?: string[]
  dryRun?: RoutingDryRun | null
  notice?: string | null
  error?: string | null
}
