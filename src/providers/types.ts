import type { ProviderId } from '../registry/schema'
import type { Endpoint } from '../usage/types'

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

/** A provider is data plus pure functions; only src/proxy talks to upstreams. */
export interface Provider {
  id: ProviderId
  /**
   * Whether a stream reports usage only when asked (`stream_options.include_usage`). Those that send it anyway
   * (Groq, Gemini) are not asked, so the client's bytes stay as they were.
   */
  asksForStreamUsage(endpoint: Endpoint, apiVersion?: string): boolean
  target(input: TargetInput): UpstreamTarget | { error: string }
}
