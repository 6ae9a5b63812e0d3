import type { Server } from 'bun'
import type { Config } from '../config'
import type { LectrEvent, Detection } from '../events/types'
import type { OrgStore } from '../orgs/store'
import { PROVIDERS } from '../providers'
import { detectProvider } from '../registry/detect'
import type { RegistryStore } from '../registry/store'
import { TASKS, type ProviderId, type Registry, type Task } from '../registry/schema'
import { bodyKind, createMeter } from '../usage/meter'
import { estimateInputTokens } from '../usage/estimate'
import { meterJsonBody } from '../usage/json-meter'
import { isMessagesEndpoint, type Meter, type MeterResult } from '../usage/types'
import { parseJsonObject, readBodyWithLimit } from './body'
import { endpointOf, requiresJson } from './endpoint'
import { errorBody, errorResponse, type LectrErrorCode } from './errors'
import { baselineCost, eventCost, upstreamLabels } from './event'
import { clientKeys } from './scrub-keys'
import { clientResponseHeaders, upstreamRequestHeaders } from './headers'
import { meteredBody, type BodyOutcome } from './metered-body'
import { readUpTo } from './read-up-to'
import { isoNow } from './iso-now'
import { requestTarget } from './request-target'
import { checkUpstreamHost } from './upstream-guard'
import { bodyBackstopSeconds, IDLE_TIMEOUT_SECONDS } from './connection-timeouts'
import { hostIsAmbiguous } from './host'
import { createUpstreamWatch, UpstreamTimeout } from './upstream-watch'
import { createHttp2Origins, http2Refused, type UpstreamProtocol } from './http2-origins'
import { featureTag, joinWarnings, modelTooLongMessage } from './client-strings'
import { cutTo, LIMITS } from '../limits'
import { azureNotConfiguredMessage, watchContentFilter } from '../providers/azure'
import type { Provider } from '../providers/types'
import { planRoute, providerKeyHeader, type Attempt } from '../routing/plan'
import { withModel } from '../routing/body-model'
import type { Rule } from '../routing/schema'
import type { WaitingUpstream } from './upstream-watch'

export interface ProxyDeps {
  config: Pick<Config, 'baseUrls' | 'maxBodyBytes' | 'bodyTimeoutMs' | 'upstreamTimeoutMs' | 'allowPrivateUpstreams' | 'upstreamHttp2'> & Partial<Pick<Config, 'streamIdleMs'>>
  orgs: OrgStore
  registry: RegistryStore
  /** where finished events go; null when the event log is switched off */
  record: ((event: LectrEvent, complete?: () => void, overheadMs?: number) => void) | null
  fetch?: typeof fetch
  /** counts requests in flight so a drain can wait for them; `closing` once the drain cuts what is left */
  inflight?: { add(): void; done(): void; readonly closing?: boolean }
  /** each org's routing rules in force (held in memory); absent: no routing */
  routing?: { rulesOf(org: string): readonly Rule[] | null }
}

/** One upstream call, ready to go. */
interface Prepared {
  provider: Provider
  targetUrl: string
  fetchUrl: string
  headers: Headers
  body: Uint8Array | null
  tls: { serverName: string } | undefined
  stripUsageChunk: boolean
}
/** Why an upstream call could not be made: what the client is told when it was the last one to try. */
interface Refusal {
  status: number
  code: LectrErrorCode
  message: string
  provider: ProviderId
}
/** A request no rule sent elsewhere: one call, as sent. */
const AS_SENT: readonly null[] = [null]
/** Headers a client's own provider key may travel in; removed when a routed attempt uses another provider's key. */
const CLIENT_KEY_HEADERS = ['authorization', 'api-key', 'x-api-key', 'x-goog-api-key']

/** fetch's options with Bun's own (`timeout`, `tls`, `protocol`) */
type BunFetchInit = RequestInit & { timeout?: boolean; tls?: { serverName: string }; protocol?: UpstreamProtocol }

const TASK_SET: ReadonlySet<string> = new Set(TASKS)
const BY_ENDPOINT = { ok: true, provider: 'anthropic', detection: 'endpoint', providerUnknown: false } as const
const VALID_TASKS = TASKS.join(' ')

/**
 * The `/v1` proxy: org key check, detection, forwarding with the client's own key, metering, one event per request.
 */
export function createProxyHandler(deps: ProxyDeps) {
  const doFetch = deps.fetch ?? fetch
  // Checked a few times within the first-byte timeout, and at least every 100 ms for clients that left.
  const watch = createUpstreamWatch(Math.max(10, Math.min(100, Math.floor(deps.config.upstreamTimeoutMs / 4))))
  const te = new TextEncoder()
  const http2 = deps.config.upstreamHttp2 ? createHttp2Origins() : null
  const bodyBackstop = bodyBackstopSeconds(deps.config.bodyTimeoutMs)

  return async function proxy(req: Request, server?: Server<unknown> | null): Promise<Response> {
    const started = performance.now()
    const incoming = req.headers
    const orgId = deps.orgs.authenticate(incoming.get('x-lectr-key'))
    if (!orgId) {
      const missing = !incoming.get('x-lectr-key')
      return errorResponse(
        401,
        missing ? 'lectr_missing_org_key' : 'lectr_invalid_org_key',
        missing ? 'Missing X-Lectr-Key header: send your Lectr org key in it.' : 'The X-Lectr-Key header is not a valid org key.',
      )
    }
    // Until the body is in, the connection keeps a deadline (see connection-timeouts.ts); lifted once it is.
    server?.timeout(req, bodyBackstop)
    deps.inflight?.add()

    const url = requestTarget(req.url)
    const path = url.pathname.slice(3) || '/'
    const endpoint = endpointOf(path)
    const registry = deps.registry.current()
    const id = Bun.randomUUIDv7()
    const time = isoNow()
    const feature = featureTag(incoming.get('x-lectr-feature'))
    const taskHeader = incoming.get('x-lectr-task')
    const task: Task | null = taskHeader && TASK_SET.has(taskHeader.toLowerCase()) ? (taskHeader.toLowerCase() as Task) : null
    const warning = joinWarnings(
      taskHeader && !task ? `X-Lectr-Task "${taskHeader.slice(0, 64)}" is not one of: ${VALID_TASKS}; recorded without a task` : null,
      feature.warning,
    )

    const base: LectrEvent = {
      id, time, org: orgId, provider: 'openai', providerUnknown: true, detection: 'fallback', model: null, responseModel: null,
      endpoint, stream: false, status: 0, errorCode: null, inputTokens: null, cachedInputTokens: null, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: null,
      reasoningTokens: null, costUsd: null, latencyMs: 0, ttfbMs: null, feature: feature.value, task, usageEstimated: false,
      registryVersion: registry.version, routedProvider: null, routedModel: null, ruleId: null, arm: null, routeSkipped: null,
      attempts: 0, baselineCostUsd: null,
    }
    /** keys from X-Lectr-Provider-Key-* a routed request uses: scrubbed from what upstreams said, like the client's own */
    const routeKeys: string[] = []
    const lectrHeaders = (provider: ProviderId): Record<string, string> => {
      const h: Record<string, string> = { 'x-lectr-request-id': id, 'x-lectr-provider': provider }
      if (base.arm) h['x-lectr-route'] = `${base.ruleId}; arm=${base.arm}`
      if (warning) h['x-lectr-warning'] = warning.replace(/[^\x20-\x7e]/g, '?')
      return h
    }
    let finished = false
    // Lectr's own time (lectr_overhead_seconds) is its latency less the time spent waiting on others: the client's
    // body, and the upstream from its call to the end of its answer (finish runs when that answer ended).
    let bodyWaitMs = 0
    let fetchAt = 0
    /** Usage, cost and error code of the event, from what the meter found (null: nothing metered). */
    const applyResult = (result: MeterResult | null, errorCode: string | null) => {
      const usage = result?.usage ?? null
      base.inputTokens = usage ? usage.inputTokens : null
      base.cachedInputTokens = usage ? usage.cachedInputTokens : null
      base.cacheWriteTokens = usage ? usage.cacheWriteTokens : null
      base.cacheWrite1hTokens = usage ? usage.cacheWrite1hTokens : null
      base.outputTokens = usage ? usage.outputTokens : null
      base.reasoningTokens = usage ? usage.reasoningTokens : null
      base.usageEstimated = result?.estimated ?? false
      // A routed request is priced at the model that served it; its baseline at the model asked for.
      const served = base.routedModel ? { ...base, provider: base.routedProvider!, model: base.routedModel } : base
      const { costUsd, responseModel, registryVersion } = eventCost(registry, served, result)
      base.costUsd = costUsd
      base.registryVersion = registryVersion
      if (base.routedModel) base.baselineCostUsd = baselineCost(registry, base, usage)
      // What the upstream said is stored scrubbed of keys: a provider may echo the client's key back.
      const keys = () => (routeKeys.length ? [...clientKeys(incoming, url.search), ...routeKeys] : clientKeys(incoming, url.search))
      const upstreamSaid = upstreamLabels(responseModel, errorCode ? null : result?.errorCode ?? null, keys)
      base.errorCode = errorCode ?? upstreamSaid.errorCode
      base.responseModel = upstreamSaid.responseModel
    }
    /**
     * Records the request's one event. With `complete`, usage and cost are worked out after the answer has gone out
     * (see `EventWriter.enqueue`), so that the client does not wait for them.
     */
    const finish = (status: number, result: MeterResult | null, errorCode: string | null, ttfbMs: number | null, complete?: () => MeterResult) => {
      if (finished) return
      finished = true
      deps.inflight?.done()
      // The answer is over: the connection may idle again, but not for ever (a 0 would stay on it).
      server?.timeout(req, IDLE_TIMEOUT_SECONDS)
      if (!deps.record) {
        // The log is off only to benchmark the proxy alone: it still meters, so that on vs off measures the log.
        if (complete) setImmediate(complete)
        return
      }
      base.status = status
      const now = performance.now()
      base.latencyMs = round(now - started)
      base.ttfbMs = ttfbMs === null ? null : round(ttfbMs)
      const overheadMs = (fetchAt ? fetchAt : now) - started - bodyWaitMs
      if (!complete) {
        applyResult(result, errorCode)
        deps.record(base, undefined, overheadMs)
        return
      }
      applyResult(null, errorCode)
      deps.record(base, () => applyResult(complete(), errorCode), overheadMs)
    }
    const refuse = (status: number, code: LectrErrorCode, message: string, provider: ProviderId = base.provider) => {
      finish(status, null, code, null)
      return errorResponse(status, code, message, lectrHeaders(provider))
    }

    try {
      // Bun joins repeated Host headers with a comma, which no valid Host has: which one the client meant is unknown.
      if (hostIsAmbiguous(incoming.get('host'))) return refuse(400, 'lectr_invalid_host', 'The request must have exactly one Host header, with one host in it.')
      // Detection by header comes first so a bad header is refused before the body is read.
      const headerProvider = incoming.get('x-lectr-provider')
      const byHeader = headerProvider ? detectProvider(registry, null, headerProvider) : null
      if (byHeader && !byHeader.ok) return refuse(400, 'lectr_invalid_provider', byHeader.message)

      const readAt = performance.now()
      const read = req.method === 'GET' || req.method === 'HEAD' ? { ok: true as const, bytes: null } : await readBodyWithLimit(req, deps.config.maxBodyBytes, deps.config.bodyTimeoutMs)
      bodyWaitMs = performance.now() - readAt
      if (!read.ok && 'timedOut' in read) {
        finish(408, null, 'lectr_body_timeout', null)
        // The rest of the body may still be on its way: closing the connection is the only way to be rid of it.
        const headers = { ...lectrHeaders(base.provider), connection: 'close' }
        return errorResponse(408, 'lectr_body_timeout', `The request body did not arrive within ${deps.config.bodyTimeoutMs} ms (LECTR_BODY_TIMEOUT_MS).`, headers)
      }
      // Streams may go quiet for minutes (reasoning models); Bun's idle timeout must not cut them.
      server?.timeout(req, 0)
      if (!read.ok) {
        return refuse(413, 'lectr_body_too_large', `Request body is larger than the limit of ${deps.config.maxBodyBytes} bytes (LECTR_MAX_BODY_BYTES).`)
      }
      const bodyBytes: Uint8Array | null = read.bytes
      let json: Record<string, unknown> | null = null
      const isJson = (incoming.get('content-type') ?? '').includes('json')
      if (requiresJson(endpoint) && req.method === 'POST') {
        json = parseJsonObject(bodyBytes)
        if (!json) return refuse(400, 'lectr_invalid_json', `The request body must be a JSON object (${endpoint}).`)
      } else if (isJson && bodyBytes) {
        json = parseJsonObject(bodyBytes)
      }
      const model = typeof json?.model === 'string' ? json.model : null
      const stream = json?.stream === true
      base.model = model === null ? null : cutTo(model, LIMITS.model)
      base.stream = stream

      // Anthropic's native Messages API is Anthropic's whatever the model or header says.
      const detected = isMessagesEndpoint(endpoint) ? BY_ENDPOINT : detectProvider(registry, model, headerProvider)
      if (!detected.ok) return refuse(400, 'lectr_invalid_provider', detected.message)
      const detectedProvider = PROVIDERS[detected.provider]
      base.provider = detected.provider
      base.detection = detected.detection as Detection
      base.providerUnknown = detected.providerUnknown
      if (model !== null && model.length > LIMITS.model) return refuse(400, 'lectr_model_too_long', modelTooLongMessage(model.length))


      // Routing (SPEC section 9): which rule applies and, for its canary, where the request goes. Without rules, one lookup.
      const rules = deps.routing?.rulesOf(orgId) ?? null
      let attempts: readonly (Attempt | null)[] = AS_SENT
      if (rules && incoming.get('x-lectr-route')?.trim().toLowerCase() !== 'off') {
        const route = planRoute(rules, { model, provider: detected.provider, feature: base.feature, task, endpoint, stream }, id, {
          keyFor: (p) => incoming.get(providerKeyHeader(p)),
          azureApiVersion: deps.orgs.getAzure(orgId)?.apiVersion ?? null,
        })
        if (route) {
          base.ruleId = route.ruleId
          base.arm = route.arm
          if (route.arm === null) base.routeSkipped = route.skipped
          else if (route.arm === 'canary') {
            attempts = route.attempts
            for (const a of route.attempts) if (a.key) routeKeys.push(a.key)
          }
        }
      }

      const authorization = incoming.get('authorization')
      const clientKey = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null
      // The client's headers less Lectr's own and hop-by-hop ones; each routed attempt gets a copy to edit.
      const cleanHeaders = upstreamRequestHeaders(incoming)
      /** Where and what one upstream call sends: the request as sent (`a` null), or a routed attempt. */
      const prepare = async (a: Attempt | null): Promise<Prepared | Refusal> => {
        const provider = a ? PROVIDERS[a.provider] : detectedProvider
        let baseUrl: string | undefined
        let apiVersion: string | undefined
        if (provider.id === 'azure') {
          const azure = deps.orgs.getAzure(orgId)
          if (!azure) return { status: 400, code: 'lectr_azure_not_configured', message: azureNotConfiguredMessage(orgId, new URL(req.url).origin), provider: provider.id }
          baseUrl = azure.endpoint
          apiVersion = azure.apiVersion
        } else {
          baseUrl = (deps.config.baseUrls as Record<string, string | null>)[provider.id] ?? registry.providers.get(provider.id)?.baseUrl
        }
        if (!baseUrl) return { status: 502, code: 'lectr_upstream_unreachable', message: `No base URL is configured for provider ${provider.id}.`, provider: provider.id }

        const sentModel = a ? a.model : model
        const providerKey = a?.key ?? clientKey
        const target = provider.target({ baseUrl, path, search: url.search, model: sentModel, providerKey, apiVersion })
        if ('error' in target) return { status: 400, code: 'lectr_invalid_json', message: target.error, provider: provider.id }

        // A routed attempt changes the body's model and nothing else (see withModel).
        let body: Uint8Array | null = read.bytes
        if (a) {
          body = read.bytes && withModel(read.bytes, a.model)
          if (!body) return { status: 400, code: 'lectr_invalid_json', message: 'The body has no top-level "model" string a routing rule could replace.', provider: provider.id }
        }
        // Ask for usage in streams where the provider only sends it when asked, and hide it again from a client that did not ask.
        let stripUsageChunk = false
        if (stream && json && provider.asksForStreamUsage(endpoint, apiVersion)) {
          const opts = json.stream_options
          const asked = opts !== null && typeof opts === 'object' && (opts as Record<string, unknown>).include_usage === true
          if (!asked) {
            body =
              opts === undefined && body
                ? withStreamUsageOption(body)
                : te.encode(JSON.stringify({ ...json, ...(a ? { model: a.model } : null), stream_options: { ...(opts !== null && typeof opts === 'object' ? opts : {}), include_usage: true } }))
            stripUsageChunk = true
          }
        }

        const headers = a ? new Headers(cleanHeaders) : cleanHeaders
        if (a?.key) {
          // Another provider's key, from X-Lectr-Provider-Key-<Provider>: the client's own key must not go to it.
          for (const h of CLIENT_KEY_HEADERS) headers.delete(h)
          if (provider.id !== 'azure') headers.set('authorization', `Bearer ${a.key}`)
        }
        for (const h of target.removeHeaders) headers.delete(h)
        for (const name in target.setHeaders) headers.set(name, target.setHeaders[name]!)

        // Azure endpoints are org data: connect only to the public address that was checked (see checkUpstreamHost).
        let fetchUrl = target.url
        let tls: { serverName: string } | undefined
        if (provider.id === 'azure' && !deps.config.allowPrivateUpstreams) {
          const guard = await checkUpstreamHost(target.url)
          if (!guard.ok) return { status: 502, code: guard.code, message: guard.reason, provider: provider.id }
          fetchUrl = guard.pinned.url
          headers.set('host', guard.pinned.host)
          if (guard.pinned.serverName) tls = { serverName: guard.pinned.serverName }
        }
        return { provider, targetUrl: target.url, fetchUrl, headers, body, tls, stripUsageChunk }
      }

      let provider = detectedProvider
      let stripUsageChunk = false
      let waiting!: WaitingUpstream
      let fetchStarted = 0
      let upstream!: Response
      let calls = 0
      // Fallbacks (routed requests only): a 429, a 5xx or no answer before any byte reached the client tries the next.
      for (let i = 0; i < attempts.length; i++) {
        const a = attempts[i]!
        const last = i === attempts.length - 1
        const prepared = await prepare(a)
        if ('code' in prepared) {
          if (last) return refuse(prepared.status, prepared.code, prepared.message, prepared.provider)
          continue
        }
        provider = prepared.provider
        stripUsageChunk = prepared.stripUsageChunk
        if (a) {
          base.routedProvider = a.provider
          base.routedModel = a.model
        }
        base.attempts = ++calls
        waiting = watch.start(req, deps.config.upstreamTimeoutMs)
        const abort = waiting.controller
        fetchStarted = performance.now()
        // Lectr's own time ends where the first upstream call starts; fallbacks are time spent on upstreams.
        if (!fetchAt) fetchAt = fetchStarted
        try {
          const init: BunFetchInit = {
            method: req.method,
            headers: prepared.headers,
            body: prepared.body as Bun.BodyInit | null,
            signal: abort.signal,
            redirect: 'manual',
            // Bun's own 5-minute idle timeout would cut slow first bytes and quiet streams; Lectr's first-byte timer governs.
            timeout: false,
          }
          const { fetchUrl, tls } = prepared
          if (tls) init.tls = tls
          const protocol = http2?.protocolFor(fetchUrl, tls?.serverName)
          if (protocol) init.protocol = protocol
          try {
            upstream = await doFetch(fetchUrl, init)
          } catch (err) {
            if (protocol !== 'h2' || !http2Refused(err)) throw err
            // The upstream would not speak HTTP/2, which showed at the TLS handshake, before the request went out:
            // sent again as HTTP/1.1, and remembered once that worked.
            init.protocol = 'http1.1'
            upstream = await doFetch(fetchUrl, init)
            http2!.refused(fetchUrl, tls?.serverName)
          }
        } catch (err) {
          watch.stop(waiting)
          if (req.signal.aborted) {
            // Cut by the drain's deadline while the provider was still working: no status came, the code says why.
            finish(499, null, deps.inflight?.closing ? 'lectr_shutdown' : 'lectr_client_gone', null)
            return new Response(null, { status: 499 })
          }
          if (!last) continue
          if (abort.signal.reason instanceof UpstreamTimeout) {
            return refuse(504, 'lectr_upstream_timeout', `${provider.id} sent no answer within ${deps.config.upstreamTimeoutMs} ms (LECTR_UPSTREAM_TIMEOUT_MS).`, provider.id)
          }
          return refuse(502, 'lectr_upstream_unreachable', `Could not reach ${provider.id} at ${new URL(prepared.targetUrl).host}: ${safeReason(err)}.`, provider.id)
        }
        if (last || (upstream.status !== 429 && upstream.status < 500)) break
        // Nothing of this answer has reached the client: dropped, and the next fallback asked.
        watch.abort(waiting)
      }
      const ttfb = performance.now() - fetchStarted
      const status = upstream.status
      // A JSON answer of a declared, modest size is read at once (checked without touching `upstream.body`, which
      // would build a JS stream for it); anything else is piped and stays watched, for a client that leaves while the
      // provider is quiet.
      const contentType = upstream.headers.get('content-type')
      const contentLength = upstream.headers.get('content-length')
      const readWhole = answersWhole(stream, contentType, contentLength) && mayHaveBody(req.method, status)
      const hasBody = readWhole || upstream.body !== null
      // JSON sent without a length (chunked): read whole too when it ends within the cap, else piped from there on.
      const readUpToCap = !readWhole && hasBody && contentLength === null && answersWhole(stream, contentType, '0')
      if (readWhole || !hasBody) watch.stop(waiting)
      else watch.watchClientOnly(waiting)

      const outHeaders = clientResponseHeaders(upstream.headers, lectrHeaders(provider.id))
      if (!hasBody) {
        finish(status, null, null, ttfb)
        return new Response(null, { status, headers: outHeaders })
      }
      const newMeter = () => {
        // A stream without totals is estimated, input from the body's size; a refusal (4xx, 5xx) consumed no input.
        const inputTokensEstimate = status < 400 ? estimateInputTokens(read.bytes?.byteLength ?? 0) : 0
        const plain = createMeter({ provider: provider.id, endpoint, stream, contentType, stripUsageChunk, inputTokensEstimate })
        return provider.id === 'azure' ? watchContentFilter(plain) : plain
      }
      const ended = (meter: Meter, outcome: BodyOutcome) => {
        if (outcome === 'complete') watch.release(waiting)
        else watch.stop(waiting)
        const result = meter.finish(outcome === 'complete' || outcome === 'complete-client-closed')
        // The drain's deadline cut it, not the client: the upstream's status stays.
        if (deps.inflight?.closing && outcome !== 'complete' && outcome !== 'complete-client-closed') finish(status, result, 'lectr_shutdown', ttfb)
        else if (outcome === 'client-gone') finish(499, result, 'lectr_client_gone', ttfb)
        else if (outcome === 'upstream-broken') finish(status, result, req.signal.aborted ? 'lectr_client_gone' : 'lectr_upstream_broken', ttfb)
        else if (outcome === 'upstream-stalled') finish(status, result, 'lectr_upstream_stalled', ttfb)
        else finish(status, result, null, ttfb)
      }
      let piped = upstream.body
      let whole: Uint8Array | null = null
      if (readWhole || readUpToCap) {
        // A whole JSON answer: read it natively and answer with it at once, which costs Bun far less than pumping a
        // JS stream chunk by chunk. Streams (`stream: true`, text/event-stream) are never handled this way.
        try {
          if (readWhole) whole = await upstream.bytes()
          else {
            // An answer that goes quiet is piped from there, where LECTR_STREAM_IDLE_MS applies.
            const upTo = await readUpTo(upstream.body!, WHOLE_JSON_MAX_BYTES, (deps.config.streamIdleMs ?? 0) || Infinity)
            if ('whole' in upTo) whole = upTo.whole
            else piped = upTo.rest
          }
          if (whole) watch.release(waiting)
        } catch {
          ended(newMeter(), req.signal.aborted ? 'client-gone' : 'upstream-broken')
          if (req.signal.aborted) return new Response(null, { status: 499 })
          return errorResponse(502, 'lectr_upstream_unreachable', `${provider.id} broke off its answer.`, lectrHeaders(provider.id))
        }
      }
      if (whole) {
        const answer = whole
        // Metered after answering (metering does not change the bytes), so the client does not wait for it.
        finish(status, null, null, ttfb, () => {
          // Plain JSON (nearly every answer) is metered straight from the bytes; anything else through its meter.
          if (provider.id !== 'azure' && bodyKind(contentType, false) === 'json') return meterJsonBody(answer, endpoint)
          const meter = newMeter()
          meter.push(answer)
          return meter.finish(true)
        })
        return new Response(answer, { status, headers: outHeaders })
      }
      const meter = newMeter()
      const idleMs = deps.config.streamIdleMs ?? 0
      const body = meteredBody(piped!, meter, (outcome) => ended(meter, outcome), () => watch.abort(waiting), {
        idleMs,
        stalledTail: idleMs > 0 && bodyKind(contentType, stream) === 'event-stream' ? stalledEvent(provider.id, idleMs) : null,
      })
      return new Response(body, { status, headers: outHeaders })
    } catch {
      // A client that left while still sending its body makes reading it throw: that is the client's doing.
      if (req.signal.aborted) {
        finish(499, null, 'lectr_client_gone', null)
        return new Response(null, { status: 499 })
      }
      // A bug must still answer and still be recorded; the message names no key (none is ever in an error here).
      finish(500, null, 'lectr_internal', null)
      return new Response(JSON.stringify({ error: { message: 'Lectr failed to handle this request.', type: 'lectr_error', code: 'lectr_internal' } }), {
        status: 500,
        headers: { 'content-type': 'application/json', 'x-lectr-request-id': id },
      })
    }
  }
}

/** Whether an answer can carry a body at all: not to HEAD, and not with 1xx, 204, 205 or 304 (RFC 9110). */
function mayHaveBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 205 && status !== 304
}

/**
 * JSON answers up to this size (by their declared `Content-Length`) are read whole; larger ones, and those without
 * a length, are piped like streams, so that a client that reads slowly holds back the provider instead of Lectr
 * holding the answer (a large embeddings batch can be hundreds of MiB).
 */
export const WHOLE_JSON_MAX_BYTES = 2 * 1024 * 1024

/** A non-streaming JSON answer of a declared, modest size (what almost every non-stream request gets): read whole rather than piped. */
function answersWhole(stream: boolean, contentType: string | null, contentLength: string | null): boolean {
  if (stream || contentType === null || !contentType.includes('json') || contentLength === null) return false
  const length = Number(contentLength)
  return Number.isInteger(length) && length >= 0 && length <= WHOLE_JSON_MAX_BYTES
}

/** The SSE error event that ends a stream whose provider went quiet for longer than LECTR_STREAM_IDLE_MS. */
function stalledEvent(provider: ProviderId, idleMs: number): Uint8Array {
  const message = `${provider} sent nothing for ${idleMs} ms mid-stream (LECTR_STREAM_IDLE_MS); the stream was ended.`
  return new TextEncoder().encode(`event: error\ndata: ${errorBody(502, 'lectr_upstream_stalled', message)}\n\n`)
}

const USAGE_OPTION = new TextEncoder().encode('"stream_options":{"include_usage":true},')

/**
 * The client's own bytes with `stream_options.include_usage` added right after the opening brace. Splicing instead
 * of re-serialising keeps every other byte as sent (JSON.stringify would round integers above 2^53, like a seed).
 * Only for bodies without a `stream_options` key, so no key is ever duplicated.
 */
export function withStreamUsageOption(body: Uint8Array): Uint8Array {
  const brace = body.indexOf(0x7b)
  let next = brace + 1
  while (next < body.length && (body[next] === 0x20 || body[next] === 0x0a || body[next] === 0x0d || body[next] === 0x09)) next++
  // `{}` has no member to put a comma before
  const option = body[next] === 0x7d ? USAGE_OPTION.subarray(0, USAGE_OPTION.length - 1) : USAGE_OPTION
  const out = new Uint8Array(body.length + option.length)
  out.set(body.subarray(0, brace + 1), 0)
  out.set(option, brace + 1)
  out.set(body.subarray(brace + 1), brace + 1 + option.length)
  return out
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

/** A connection error's kind, never its full text (which could echo a URL or header). */
function safeReason(err: unknown): string {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^[A-Za-z_]+$/.test(code) ? code : 'connection failed'
}
