import { PROVIDERS } from '../../providers'
import type { Provider } from '../../providers/types'
import { withModel } from '../../routing/body-model'
import { isJsonSpace } from '../../usage/json-scan'
import type { Attempt } from '../../routing/plan'
import type { RequestContext } from '../context'
import { upstreamRequestHeaders } from '../headers'
import { http2Refused, type UpstreamProtocol } from '../http2-origins'
import { CLIENT_KEY_HEADERS } from '../scrub-keys'
import { UpstreamError } from '../upstream-error'
import { checkUpstreamHost } from '../upstream-guard'
import { UpstreamTimeout } from '../upstream-watch'

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

/** fetch's options with Bun's own (`timeout`, `tls`, `protocol`) */
type BunFetchInit = RequestInit & { timeout?: boolean; tls?: { serverName: string }; protocol?: UpstreamProtocol }

const te = new TextEncoder()

/**
 * Step 5. The upstream call: each attempt in turn (routed requests may have fallbacks: a 429, a 5xx or no answer
 * before any byte reached the client tries the next), with the client's key or the attempt's. Answers the upstream's
 * response, its call on `ctx` (provider, watch, start); or why there is none, for the last attempt, as one
 * `UpstreamError`.
 */
export async function forward(ctx: RequestContext): Promise<Response | UpstreamError> {
  const { attempts } = ctx
  for (let i = 0; ; i++) {
    const a = attempts[i]!
    const last = i === attempts.length - 1
    const prepared = await prepare(ctx, a)
    const answer = prepared instanceof UpstreamError ? prepared : await call(ctx, a, prepared)
    if (last) return answer
    if (answer instanceof UpstreamError) {
      // The client left or the drain cut it: no fallback can help.
      if (answer.clientGone) return answer
      continue
    }
    if (answer.status !== 429 && answer.status < 500) return answer
    // Nothing of this answer has reached the client: dropped, and the next fallback asked.
    ctx.proxy.watch.abort(ctx.waiting!)
  }
}

/** One upstream call, watched for its first byte and for a client that leaves; the call is kept on `ctx`. */
async function call(ctx: RequestContext, a: Attempt | null, prepared: Prepared): Promise<Response | UpstreamError> {
  const { req, record } = ctx
  const { deps, watch } = ctx.proxy
  const { provider } = prepared
  ctx.provider = provider
  ctx.stripUsageChunk = prepared.stripUsageChunk
  const e = record.event
  if (a) {
    e.routedProvider = a.provider
    e.routedModel = a.model
  }
  e.attempts = (e.attempts ?? 0) + 1
  const waiting = watch.start(req, deps.config.upstreamTimeoutMs)
  ctx.waiting = waiting
  ctx.fetchStarted = performance.now()
  record.fetchStarts(ctx.fetchStarted)
  try {
    return await fetchUpstream(ctx, prepared, waiting.controller.signal)
  } catch (err) {
    watch.stop(waiting)
    // Cut by the drain's deadline while the provider was still working: no status came, the code says why.
    if (req.signal.aborted) return new UpstreamError(deps.inflight?.closing ? 'shutdown' : 'client_gone', provider.id, '')
    if (waiting.controller.signal.reason instanceof UpstreamTimeout) {
      return new UpstreamError('timeout', provider.id, `${provider.id} sent no answer within ${deps.config.upstreamTimeoutMs} ms (LECTR_UPSTREAM_TIMEOUT_MS).`)
    }
    return new UpstreamError('unreachable', provider.id, `Could not reach ${provider.id} at ${new URL(prepared.targetUrl).host}: ${safeReason(err)}.`)
  }
}

/** fetch, over HTTP/2 where LECTR_UPSTREAM_HTTP2 asks for it and the upstream speaks it. */
async function fetchUpstream(ctx: RequestContext, prepared: Prepared, signal: AbortSignal): Promise<Response> {
  const { http2, doFetch } = ctx.proxy
  const { fetchUrl, tls } = prepared
  const init: BunFetchInit = {
    method: ctx.req.method,
    headers: prepared.headers,
    body: prepared.body as Bun.BodyInit | null,
    signal,
    redirect: 'manual',
    // Bun's own 5-minute idle timeout would cut slow first bytes and quiet streams; Lectr's first-byte timer governs.
    timeout: false,
  }
  if (tls) init.tls = tls
  const protocol = http2?.protocolFor(fetchUrl, tls?.serverName)
  if (protocol) init.protocol = protocol
  try {
    return await doFetch(fetchUrl, init)
  } catch (err) {
    if (protocol !== 'h2' || !http2Refused(err)) throw err
    // The upstream would not speak HTTP/2, which showed at the TLS handshake, before the request went out:
    // sent again as HTTP/1.1, and remembered once that worked.
    init.protocol = 'http1.1'
    const upstream = await doFetch(fetchUrl, init)
    http2!.refused(fetchUrl, tls?.serverName)
    return upstream
  }
}

/** Where and what one upstream call sends: the request as sent (`a` null), or a routed attempt. */
async function prepare(ctx: RequestContext, a: Attempt | null): Promise<Prepared | UpstreamError> {
  const provider = a ? PROVIDERS[a.provider] : ctx.detected
  const where = upstreamBase(ctx, provider)
  if (where instanceof UpstreamError) return where
  const { baseUrl, apiVersion } = where
  const authorization = ctx.incoming.get('authorization')
  const clientKey = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null
  const providerKey = a?.key ?? clientKey
  const target = provider.target({ baseUrl, path: ctx.path, search: ctx.search, model: a ? a.model : ctx.model, providerKey, apiVersion })
  if ('error' in target) return new UpstreamError('bad_target', provider.id, target.error)
  const sent = bodyFor(ctx, a, provider, apiVersion)
  if (sent instanceof UpstreamError) return sent

  // The client's headers less Lectr's own and hop-by-hop ones, then the target's.
  const headers = upstreamRequestHeaders(ctx.incoming)
  if (a?.key) {
    // Another provider's key, from X-Lectr-Provider-Key-<Provider>: the client's own key must not go to it.
    for (const h of CLIENT_KEY_HEADERS) headers.delete(h)
    if (!provider.keyInTarget) headers.set('authorization', `Bearer ${a.key}`)
  }
  for (const h of target.removeHeaders) headers.delete(h)
  for (const name in target.setHeaders) headers.set(name, target.setHeaders[name]!)

  const prepared: Prepared = { provider, targetUrl: target.url, fetchUrl: target.url, headers, tls: undefined, ...sent }
  return provider.pinsAddress && !ctx.proxy.deps.config.allowPrivateUpstreams ? pin(prepared) : prepared
}

/** The provider's base URL: the org's own endpoint (Azure), a base-URL setting, or the registry's. */
function upstreamBase(ctx: RequestContext, provider: Provider): { baseUrl: string; apiVersion?: string } | UpstreamError {
  const { config, orgs } = ctx.proxy.deps
  if (provider.orgEndpoint) {
    const own = provider.orgEndpoint(orgs, ctx.org)
    if (!own) return new UpstreamError('not_configured', provider.id, provider.notConfiguredMessage!(ctx.org, new URL(ctx.req.url).origin))
    return { baseUrl: own.endpoint, apiVersion: own.apiVersion }
  }
  const baseUrl = (config.baseUrls as Record<string, string | null>)[provider.id] ?? ctx.registry.providers.get(provider.id)?.baseUrl
  if (!baseUrl) return new UpstreamError('unreachable', provider.id, `No base URL is configured for provider ${provider.id}.`)
  return { baseUrl }
}

/**
 * The body sent: the client's bytes, with a routed attempt's model, and `stream_options.include_usage` added for
 * streams where the provider only reports usage when asked (hidden again from a client that did not ask).
 */
function bodyFor(ctx: RequestContext, a: Attempt | null, provider: Provider, apiVersion: string | undefined): Pick<Prepared, 'body' | 'stripUsageChunk'> | UpstreamError {
  // A routed attempt changes the body's model and nothing else (see withModel).
  let body: Uint8Array | null = ctx.bytes
  if (a) {
    body = ctx.bytes && withModel(ctx.bytes, a.model)
    if (!body) return new UpstreamError('bad_target', provider.id, 'The body has no top-level "model" string a routing rule could replace.')
  }
  const json = ctx.json
  if (!ctx.stream || !json || !provider.asksForStreamUsage(ctx.endpoint, apiVersion)) return { body, stripUsageChunk: false }
  const opts = json.stream_options
  const asked = opts !== null && typeof opts === 'object' && (opts as Record<string, unknown>).include_usage === true
  if (asked) return { body, stripUsageChunk: false }
  if (opts === undefined && body) return { body: withStreamUsageOption(body), stripUsageChunk: true }
  const withUsage = { ...json, ...(a ? { model: a.model } : null), stream_options: { ...(opts !== null && typeof opts === 'object' ? opts : {}), include_usage: true } }
  return { body: te.encode(JSON.stringify(withUsage)), stripUsageChunk: true }
}

/** An org's endpoint is connected to only at the public address that was checked (see checkUpstreamHost). */
async function pin(prepared: Prepared): Promise<Prepared | UpstreamError> {
  const guard = await checkUpstreamHost(prepared.targetUrl)
  if (!guard.ok) return new UpstreamError(guard.code === 'lectr_upstream_refused' ? 'refused' : 'unreachable', prepared.provider.id, guard.reason)
  prepared.fetchUrl = guard.pinned.url
  prepared.headers.set('host', guard.pinned.host)
  if (guard.pinned.serverName) prepared.tls = { serverName: guard.pinned.serverName }
  return prepared
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
  while (next < body.length && isJsonSpace(body[next]!)) next++
  // `{}` has no member to put a comma before
  const option = body[next] === 0x7d ? USAGE_OPTION.subarray(0, USAGE_OPTION.length - 1) : USAGE_OPTION
  const out = new Uint8Array(body.length + option.length)
  out.set(body.subarray(0, brace + 1), 0)
  out.set(option, brace + 1)
  out.set(body.subarray(brace + 1), brace + 1 + option.length)
  return out
}

/** A connection error's kind, never its full text (which could echo a URL or header). */
function safeReason(err: unknown): string {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^[A-Za-z_]+$/.test(code) ? code : 'connection failed'
}
