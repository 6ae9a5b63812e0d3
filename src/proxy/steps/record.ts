import type { Meter } from '../../usage/types'
import type { RequestContext } from '../context'
import type { BodyOutcome } from '../metered-body'

/**
 * Step 7, for an answer that was read or piped: what the meter found, recorded with the code that says how the
 * body ended. (Lectr's own answers are recorded by `RequestRecord.refuse`, `clientLeft` and `failed`.)
 */
export function recordEnd(ctx: RequestContext, meter: Meter, outcome: BodyOutcome): void {
  const { watch, deps } = ctx.proxy
  watch.stop(ctx.waiting!)
  const complete = outcome === 'complete' || outcome === 'complete-client-closed'
  const result = meter.finish(complete)
  const { record, status, ttfbMs } = ctx
  // The drain's deadline cut it, not the client: the upstream's status stays.
  if (deps.inflight?.closing && !complete) record.finish(status, result, 'lectr_shutdown', ttfbMs)
  else if (outcome === 'client-gone') record.finish(499, result, 'lectr_client_gone', ttfbMs)
  else if (outcome === 'upstream-broken') record.finish(status, result, ctx.req.signal.aborted ? 'lectr_client_gone' : 'lectr_upstream_broken', ttfbMs)
  else if (outcome === 'upstream-stalled') record.finish(status, result, 'lectr_upstream_stalled', ttfbMs)
  else record.finish(status, result, null, ttfbMs)
}
