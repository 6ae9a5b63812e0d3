import type { Server } from 'bun'
import type { Provider } from '../providers/types'
import type { Registry, Task } from '../registry/schema'
import type { Attempt } from '../routing/plan'
import type { Endpoint } from '../usage/types'
import type { createHttp2Origins } from './http2-origins'
import type { RequestRecord } from './request-record'
import type { ProxyDeps } from './deps'
import type { createUpstreamWatch, WaitingUpstream } from './upstream-watch'


/** What every request of one proxy shares: its dependencies and the state that outlives a request. */
export interface ProxyShared {
  readonly deps: ProxyDeps
  readonly doFetch: typeof fetch
  readonly watch: ReturnType<typeof createUpstreamWatch>
  readonly http2: ReturnType<typeof createHttp2Origins> | null
  /** seconds a connection may take to send its body (see connection-timeouts.ts) */
  readonly bodyBackstop: number
}

/**
 * One request that passed the org-key check, as the steps see it. Built once (admit); the steps fill in what they
 * learn, in the order of the fields below, so every request's object has the same shape.
 */
export interface RequestContext {
  readonly proxy: ProxyShared
  readonly req: Request
  readonly server: Server<unknown> | null | undefined
  readonly incoming: Headers
  /** the client's query string, `?` included, or '' */
  readonly search: string
  /** the client's path after `/v1`, starting with `/` */
  readonly path: string
  readonly endpoint: Endpoint
  readonly registry: Registry
  readonly org: string
  readonly id: string
  readonly task: Task | null
  /** the request's one event and everything that finishes it */
  readonly record: RequestRecord
  // detect (header)
  headerProvider: string | null
  // read
  bytes: Uint8Array | null
  json: Record<string, unknown> | null
  model: string | null
  stream: boolean
  // detect
  detected: Provider
  // route
  attempts: readonly (Attempt | null)[]
  // forward: the upstream call whose answer the client gets
  provider: Provider
  stripUsageChunk: boolean
  waiting: WaitingUpstream | null
  fetchStarted: number
  // relay: the upstream's answer
  status: number
  ttfbMs: number
  contentType: string | null
}

export type { ProxyDeps, Refusal } from './deps'
