import { planRoute, providerKeyHeader, type Attempt } from '../../routing/plan'
import type { RequestContext } from '../context'

/** A request no rule sent elsewhere: one call, as sent. */
export const AS_SENT: readonly null[] = [null]

/**
 * Step 4. Routing (SPEC section 9): which rule applies and, for its canary, the attempts (fallbacks after the first)
 * in `ctx.attempts`; otherwise the request goes as sent. Without rules, one lookup.
 */
export function route(ctx: RequestContext): void {
  const { deps } = ctx.proxy
  const rules = deps.routing?.rulesOf(ctx.org) ?? null
  if (!rules || ctx.incoming.get('x-lectr-route')?.trim().toLowerCase() === 'off') return
  const e = ctx.record.event
  const { incoming } = ctx
  const decision = planRoute(rules, { model: ctx.model, provider: e.provider, feature: e.feature, task: ctx.task, endpoint: ctx.endpoint, stream: ctx.stream }, ctx.id, {
    keyFor: (p) => incoming.get(providerKeyHeader(p)),
    azureApiVersion: deps.orgs.getAzure(ctx.org)?.apiVersion ?? null,
  })
  if (!decision) return
  e.ruleId = decision.ruleId
  e.arm = decision.arm
  if (decision.arm === null) e.routeSkipped = decision.skipped
  else if (decision.arm === 'canary') {
    ctx.attempts = decision.attempts satisfies readonly Attempt[]
    for (const a of decision.attempts) if (a.key) ctx.record.routeKeys.push(a.key)
  }
}
