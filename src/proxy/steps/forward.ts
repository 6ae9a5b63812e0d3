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

/** Headers a client's own provider key may travel in; removed when a routed attempt uses another provider's key. */
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
  const { req, record } = ctx
  const { deps, watch, http2, doFetch } = ctx.proxy
  const authorization = ctx.incoming.get('authorization')
  const clientKey = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null
  // The client's headers less Lectr's own and hop-by-hop ones; each routed attempt gets a copy to edit.
  const cleanHeaders = upstreamRequestHeaders(ctx.incoming)
  const attempts = ctx.attempts
  let upstream!: Response
  let calls = 0
  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i]!
    const last = i === attempts.length - 1
    // Only a pinned upstream (Azure's) waits for a DNS check here; every other call is prepared without an await.
    let prepared = prepare(ctx, a, cleanHeaders, clientKey)
    if (prepared instanceof Promise) prepared = await prepared
    if (prepared instanceof UpstreamError) {
      if (last) return prepared
      continue
    }
    const provider = prepared.provider
    ctx.provider = provider
    ctx.stripUsageChunk = prepared.stripUsageChunk
    const e = record.event
    if (a) {
      e.routedProvider = a.provider
      e.routedModel = a.model
    }
    e.attempts = ++calls
    const waiting = watch.start(req, deps.config.upstreamTimeoutMs)
    ctx.waiting = waiting
    const abort = waiting.controller
    const fetchStarted = performance.now()
    ctx.fetchStarted = fetchStarted
    record.fetchStarts(fetchStarted)
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
      // Cut by the drain's deadline while the provider was still working: no status came, the code says why.
      if (req.signal.aborted) return new UpstreamError(deps.inflight?.closing ? 'shutdown' : 'client_gone', provider.id, '')
      if (!last) continue
      if (abort.signal.reason instanceof UpstreamTimeout) {
        return new UpstreamError('timeout', provider.id, `${provider.id} sent no answer within ${deps.config.upstreamTimeoutMs} ms (LECTR_UPSTREAM_TIMEOUT_MS).`)
      }
      return new UpstreamError('unreachable', provider.id, `Could not reach ${provider.id} at ${new URL(prepared.targetUrl).host}: ${safeReason(err)}.`)
    }
    if (last || (upstream.status !== 429 && upstream.status < 500)) break
    // Nothing of this answer has reached the client: dropped, and the next fallback asked.
    watch.abort(waiting)
  }
  return upstream
}

/** Where and what one upstream call sends: the request as sent (`a` null), or a routed attempt. */
function prepare(ctx: RequestContext, a: Attempt | null, cleanHeaders: Headers, clientKey: string | null): Prepared | UpstreamError | Promise<Prepared | UpstreamError> {
  const { config, orgs } = ctx.proxy.deps
  const provider = a ? PROVIDERS[a.provider] : ctx.detected
  let baseUrl: string | null | undefined
  let apiVersion: string | undefined
  if (provider.orgEndpoint) {
    const own = provider.orgEndpoint(orgs, ctx.org)
    if (!own) return new UpstreamError('not_configured', provider.id, provider.notConfiguredMessage!(ctx.org, new URL(ctx.req.url).origin))
    baseUrl = own.endpoint
    apiVersion = own.apiVersion
  } else {
    baseUrl = (config.baseUrls as Record<string, string | null>)[provider.id] ?? ctx.registry.providers.get(provider.id)?.baseUrl
  }
  if (!baseUrl) return new UpstreamError('unreachable', provider.id, `No base URL is configured for provider ${provider.id}.`)

  const sentModel = a ? a.model : ctx.model
  const providerKey = a?.key ?? clientKey
  const target = provider.target({ baseUrl, path: ctx.path, search: ctx.search, model: sentModel, providerKey, apiVersion })
  if ('error' in target) return new UpstreamError('bad_target', provider.id, target.error)

  // A routed attempt changes the body's model and nothing else (see withModel).
  let body: Uint8Array | null = ctx.bytes
  if (a) {
    body = ctx.bytes && withModel(ctx.bytes, a.model)
    if (!body) return new UpstreamError('bad_target', provider.id, 'The body has no top-level "model" string a routing rule could replace.')
  }
  // Ask for usage in streams where the provider only sends it when asked, and hide it again from a client that did not ask.
  let stripUsageChunk = false
  const json = ctx.json
  if (ctx.stream && json && provider.asksForStreamUsage(ctx.endpoint, apiVersion)) {
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
    if (!provider.keyInTarget) headers.set('authorization', `Bearer ${a.key}`)
  }
  for (const h of target.removeHeaders) headers.delete(h)
  for (const name in target.setHeaders) headers.set(name, target.setHeaders[name]!)

  const prepared: Prepared = { provider, targetUrl: target.url, fetchUrl: target.url, headers, body, tls: undefined, stripUsageChunk }
  return provider.pinsAddress && !config.allowPrivateUpstreams ? pin(prepared) : prepared
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
