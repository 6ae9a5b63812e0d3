import type { Server } from 'bun'
import type { LectrEvent } from '../events/types'
import type { ProviderId, Registry } from '../registry/schema'
import type { MeterResult } from '../usage/types'
import { IDLE_TIMEOUT_SECONDS } from './connection-timeouts'
import type { ProxyDeps, Refusal } from './deps'
import { errorResponse, type LectrErrorCode } from './errors'
import { baselineCost, eventCost, upstreamLabels } from './event'
import { clientKeys } from './scrub-keys'

/** What a request's record starts from, once the request passed the org-key check (see `admit`). */
export interface RecordStart {
  /** the event, filled with what is known at admission; the steps add what they learn */
  event: LectrEvent
  /** `performance.now()` when the request arrived */
  started: number
  deps: Pick<ProxyDeps, 'record' | 'inflight'>
  /** the client's request: its signal, its connection's timeout, and its headers, where its keys are */
  req: Request
  server: Server<unknown> | null | undefined
  /** what prices the event */
  registry: Registry
  /** the client's query string, where a key may be too (`?key=`) */
  search: string
  /** every warning for X-Lectr-Warning, or null */
  warning: string | null
}

/**
 * The one event of a request that passed the org-key check, and the only code that writes it. The steps set what
 * they learn on `event` (provider, model, route); how it ends goes through `finish`, which records it exactly once
 * however many ways the request ends (an answer that ends and a client that leaves race each other).
 */
export class RequestRecord {
  readonly event: LectrEvent
  /** keys from X-Lectr-Provider-Key-* a routed request uses: scrubbed from what upstreams said, like the client's own */
  readonly routeKeys: string[] = []
  private readonly start: RecordStart
  private finished = false
  // Lectr's own time (lectr_overhead_seconds) is its latency less the time spent waiting on others: the client's
  // body, and the upstream from its call to the end of its answer (finish runs when that answer ended).
  private readAt = 0
  private bodyWaitMs = 0
  /** when the first upstream call started; 0: none did */
  private fetchAt = 0

  constructor(start: RecordStart) {
    this.start = start
    this.event = start.event
  }

  readStarts(): void {
    this.readAt = performance.now()
  }

  /** The body is in (a GET or HEAD, which has none, never started reading it: no wait). */
  readEnds(): void {
    if (this.readAt) this.bodyWaitMs = performance.now() - this.readAt
  }

  /** An upstream call starts: Lectr's own time ends at the first; fallbacks are time spent on upstreams. */
  fetchStarts(at: number): void {
    if (!this.fetchAt) this.fetchAt = at
  }

  /** The client left (or the drain's deadline cut the request) before any answer: recorded, answered with nothing. */
  clientLeft(code: LectrErrorCode): Response {
    this.finish(499, null, code, null)
    return new Response(null, { status: 499 })
  }

  /**
   * Handling the request threw. A client that left while still sending its body makes reading it throw: that is
   * the client's doing. Anything else is a bug, which must still answer and still be recorded; the message names no
   * key (none is ever in an error here).
   */
  failed(): Response {
    if (this.start.req.signal.aborted) return this.clientLeft('lectr_client_gone')
    this.finish(500, null, 'lectr_internal', null)
    return new Response(JSON.stringify({ error: { message: 'Lectr failed to handle this request.', type: 'lectr_error', code: 'lectr_internal' } }), {
      status: 500,
      headers: { 'content-type': 'application/json', 'x-lectr-request-id': this.event.id },
    })
  }

  /** Lectr's headers on every answer it gives or passes on. */
  lectrHeaders(provider: ProviderId): Record<string, string> {
    const e = this.event
    const h: Record<string, string> = { 'x-lectr-request-id': e.id, 'x-lectr-provider': provider }
    if (e.arm) h['x-lectr-route'] = `${e.ruleId}; arm=${e.arm}`
    if (this.start.warning) h['x-lectr-warning'] = this.start.warning.replace(/[^\x20-\x7e]/g, '?')
    return h
  }

  /** Lectr answers itself: the event is recorded with the refusal's code, and the client gets it in the OpenAI shape. */
  refuse(r: Refusal): Response {
    this.finish(r.status, null, r.code, null)
    const headers = this.lectrHeaders(r.provider ?? this.event.provider)
    // The rest of the body may still be on its way: closing the connection is the only way to be rid of it.
    if (r.close) headers.connection = 'close'
    return errorResponse(r.status, r.code, r.message, headers)
  }

  /**
   * Records the request's one event. With `complete`, usage and cost are worked out after the answer has gone out
   * (see `EventWriter.enqueue`), so that the client does not wait for them.
   */
  finish(status: number, result: MeterResult | null, errorCode: string | null, ttfbMs: number | null, complete?: () => MeterResult): void {
    if (this.finished) return
    this.finished = true
    const { deps, server, req, started } = this.start
    deps.inflight?.done()
    // The answer is over: the connection may idle again, but not for ever (a 0 would stay on it).
    server?.timeout(req, IDLE_TIMEOUT_SECONDS)
    const record = deps.record
    if (!record) {
      // The log is off only to benchmark the proxy alone: it still meters, so that on vs off measures the log.
      if (complete) setImmediate(complete)
      return
    }
    const e = this.event
    e.status = status
    const now = performance.now()
    e.latencyMs = round(now - started)
    e.ttfbMs = ttfbMs === null ? null : round(ttfbMs)
    const overheadMs = (this.fetchAt ? this.fetchAt : now) - started - this.bodyWaitMs
    if (!complete) {
      this.applyResult(result, errorCode)
      record(e, undefined, overheadMs)
      return
    }
    this.applyResult(null, errorCode)
    // Metered once the answer went out (EventWriter.enqueue): metering first cost 7 us CPU a request, 3% of requests/s (bench/README.md).
    record(e, () => this.applyResult(complete(), errorCode), overheadMs)
  }

  /** Usage, cost and error code of the event, from what the meter found (null: nothing metered). */
  private applyResult(result: MeterResult | null, errorCode: string | null): void {
    const e = this.event
    const usage = result?.usage ?? null
    e.inputTokens = usage ? usage.inputTokens : null
    e.cachedInputTokens = usage ? usage.cachedInputTokens : null
    e.cacheWriteTokens = usage ? usage.cacheWriteTokens : null
    e.cacheWrite1hTokens = usage ? usage.cacheWrite1hTokens : null
    e.outputTokens = usage ? usage.outputTokens : null
    e.reasoningTokens = usage ? usage.reasoningTokens : null
    e.usageEstimated = result?.estimated ?? false
    // A routed request is priced at the model that served it; its baseline at the model asked for.
    const served = e.routedModel ? { ...e, provider: e.routedProvider!, model: e.routedModel } : e
    const { costUsd, responseModel, registryVersion } = eventCost(this.start.registry, served, result)
    e.costUsd = costUsd
    e.registryVersion = registryVersion
    if (e.routedModel) e.baselineCostUsd = baselineCost(this.start.registry, e, usage)
    // What the upstream said is stored scrubbed of keys: a provider may echo the client's key back.
    const upstreamSaid = upstreamLabels(responseModel, errorCode ? null : result?.errorCode ?? null, () => this.keys())
    e.errorCode = errorCode ?? upstreamSaid.errorCode
    e.responseModel = upstreamSaid.responseModel
  }

  /** The keys the client sent (its own, and any routed attempt's): what the stored strings are scrubbed of. */
  private keys(): readonly string[] {
    const own = clientKeys(this.start.req.headers, this.start.search)
    return this.routeKeys.length ? [...own, ...this.routeKeys] : own
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}
