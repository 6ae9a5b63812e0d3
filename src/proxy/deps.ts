import type { Config } from '../config'
import type { LectrEvent } from '../events/types'
import type { ProviderId } from '../registry/schema'
import type { RegistryStore } from '../registry/store'
import type { OrgsInForce } from '../storage/orgs'
import type { RoutingInForce } from '../storage/routing-in-force'
import type { LectrErrorCode } from './errors'

/** What the proxy is built with (and what a refusal is): apart from the request context, so the record can use them. */
export interface ProxyDeps {
  config: Pick<Config, 'baseUrls' | 'maxBodyBytes' | 'bodyTimeoutMs' | 'upstreamTimeoutMs' | 'allowPrivateUpstreams' | 'upstreamHttp2'> & Partial<Pick<Config, 'streamIdleMs'>>
  /** the org of a key and its Azure settings, answered from memory (`storage.orgs.inForce`) */
  orgs: OrgsInForce
  registry: RegistryStore
  /** where finished events go; null when the event log is switched off */
  record: ((event: LectrEvent, complete?: () => void, overheadMs?: number) => void) | null
  fetch?: typeof fetch
  /** counts requests in flight so a drain can wait for them; `closing` once the drain cuts what is left */
  inflight?: { add(): void; done(): void; readonly closing?: boolean }
  /** each org's routing rules in force (held in memory); absent: no routing */
  routing?: RoutingInForce
}

/** Why Lectr answers a request itself: what the client is told, in the OpenAI error shape. */
export interface Refusal {
  readonly status: number
  readonly code: LectrErrorCode
  readonly message: string
  /** the provider the answer names (`X-Lectr-Provider`); absent: the event's */
  readonly provider?: ProviderId
  /** the body may still be arriving: the connection is closed after the answer */
  readonly close?: boolean
}
