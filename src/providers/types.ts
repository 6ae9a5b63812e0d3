import type { Endpoint, Meter, ProviderId } from '../domain'

/** Where and how one request goes upstream. */
export interface UpstreamTarget {
  url: string
  /** headers to set (after the client's own were filtered) */
  setHeaders: Record<string, string>
  /** headers to remove from the client's own */
  removeHeaders: string[]
}

export interface TargetInput {
  /** the provider's base URL, `/v1` included (for azure: the org's endpoint) */
  baseUrl: string
  /** the client's path after `/v1`, starting with `/` */
  path: string
  /** the client's query string, `?` included, or '' */
  search: string
  model: string | null
  /** the client's provider key (`Authorization: Bearer …`), or null */
  providerKey: string | null
  /** azure only */
  apiVersion?: string
}

/** The setting (flag and environment variable) that replaces a provider's base URL; its config key is `baseUrls.<id>`. */
export interface BaseUrlOverride {
  flag: string
  env: string
  help: string
}

/** Where a provider whose endpoint is per org sends that org's requests (what Settings → Azure saves). */
export interface OrgEndpoint {
  endpoint: string
  apiVersion: string
}

/** The org settings a per-org provider reads its endpoint from. */
export interface OrgEndpoints {
  getAzure(org: string): OrgEndpoint | null
}

/** Endpoints a request can be routed to (`other` paths never are: their bodies are not known to hold a model). */
export type RoutableEndpoint = Exclude<Endpoint, 'other'>

/**
 * A provider is data plus pure functions; only src/proxy talks to upstreams. Everything else Lectr knows about a
 * provider (its id in the registry schema, settings, labels, routing) is derived from these fields. `Provider`
 * alone is one of src/providers' list; `Provider<string>`, any provider (a test's list can hold one more).
 */
export interface Provider<Id extends string = ProviderId> {
  id: Id
  /** how the dashboard names it */
  label: string
  /** the upstream base URL, `/v1` included, unless the registry file or the override setting gives one; null: per org (azure) */
  baseUrl: string | null
  /** model-id prefixes that detect it, unless the registry file lists its own */
  prefixes: readonly string[]
  /** null: the base URL cannot be overridden by a setting (azure's endpoint is per org) */
  baseUrlOverride: BaseUrlOverride | null
  /** the endpoints a routing rule may send to it */
  serves: ReadonlySet<RoutableEndpoint>
  /**
   * Whether a stream reports usage only when asked (`stream_options.include_usage`). Those that send it anyway
   * (Groq, Gemini) are not asked, so the client's bytes stay as they were.
   */
  asksForStreamUsage(endpoint: Endpoint, apiVersion?: string): boolean
  target(input: TargetInput): UpstreamTarget | { error: string }
  // What sets a provider apart from those at a fixed URL (only Azure's today); the proxy asks these, never the id.
  /** Per-org providers: the org's endpoint (as `baseUrl`) and API version; null when the org has set none. */
  orgEndpoint?(orgs: OrgEndpoints, org: string): OrgEndpoint | null
  /** Per-org providers: what a client is told when its org has no endpoint (`origin`: how it reached Lectr). */
  notConfiguredMessage?(org: string, origin: string): string
  /** `target` puts a routed request's key in a header of its own; others get it as `Authorization: Bearer`. */
  keyInTarget?: boolean
  /**
   * The upstream is org data, so it is connected to only at an address checked to be public, pinned for the
   * connection (see checkUpstreamHost), unless private upstreams are allowed.
   */
  pinsAddress?: boolean
  /** Wraps the meter of every answer (Azure: finds content-filter endings); absent: the plain meter, and plain JSON is metered straight from its bytes. */
  wrapMeter?(meter: Meter): Meter
}
