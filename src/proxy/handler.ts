import type { Server } from 'bun'
import { bodyBackstopSeconds } from './connection-timeouts'
import type { ProxyDeps, ProxyShared } from './context'
import { createHttp2Origins } from './http2-origins'
import { admit, checkHost } from './steps/admit'
import { checkProviderHeader, detect } from './steps/detect'
import { forward } from './steps/forward'
import { readBody, takeBody } from './steps/read'
import { relay } from './steps/relay'
import { route } from './steps/route'
import { UpstreamError } from './upstream-error'
import { createUpstreamWatch } from './upstream-watch'

export type { ProxyDeps } from './context'
export { withStreamUsageOption } from './steps/forward'
export { WHOLE_JSON_MAX_BYTES } from './steps/relay'

/**
 * The `/v1` proxy: org key check, detection, forwarding with the client's own key, metering, one event per request.
 * A request goes through the steps in src/proxy/steps in order; each answers a value on the context or a refusal,
 * and its one event (RequestRecord) is recorded however it ends.
 */
export function createProxyHandler(deps: ProxyDeps) {
  const proxy: ProxyShared = {
    deps,
    doFetch: deps.fetch ?? fetch,
    // Checked a few times within the first-byte timeout, and at least every 100 ms for clients that left.
    watch: createUpstreamWatch(Math.max(10, Math.min(100, Math.floor(deps.config.upstreamTimeoutMs / 4)))),
    http2: deps.config.upstreamHttp2 ? createHttp2Origins() : null,
    bodyBackstop: bodyBackstopSeconds(deps.config.bodyTimeoutMs),
  }

  return async function handle(req: Request, server?: Server<unknown> | null): Promise<Response> {
    const ctx = admit(proxy, req, server)
    if (ctx instanceof Response) return ctx
    const { record } = ctx
    try {
      // Detection by header comes first so a bad header is refused before the body is read.
      let refused = checkHost(ctx) ?? checkProviderHeader(ctx)
      if (refused) return record.refuse(refused)
      refused = takeBody(ctx, await readBody(ctx)) ?? detect(ctx)
      if (refused) return record.refuse(refused)
      route(ctx)
      const upstream = await forward(ctx)
      if (upstream instanceof UpstreamError) return upstream.clientGone ? record.clientLeft(upstream.code) : record.refuse(upstream)
      return await relay(ctx, upstream)
    } catch {
      return record.failed()
    }
  }
}
