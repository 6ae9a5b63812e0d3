import { PROVIDERS } from '../providers'
import type { ProviderId } from '../domain'
import type { Endpoint } from '../domain'
import { inCanary } from './canary'
import { firstMatch, type RouteRequest } from './match'
import type { Rule, RouteTarget } from './schema'

export type SkipReason = 'no_key' | 'unsupported_endpoint' | 'azure_not_configured'

/** One upstream call of a routed request. `key` null: the client's own credentials, as sent. */
export interface Attempt {
  provider: ProviderId
  model: string
  key: string | null
}

/** What the rules decided for one request. */
export type RouteDecision =
  | { ruleId: string; arm: 'canary'; attempts: Attempt[] }
  | { ruleId: string; arm: 'control' }
  | { ruleId: string; arm: null; skipped: SkipReason }

export interface RouteContext {
  /** the value of `X-Lectr-Provider-Key-<Provider>`, or null */
  keyFor(provider: ProviderId): string | null
  /** the org's Azure API version, or null when the org has no Azure settings */
  azureApiVersion: string | null
}

const AZURE_CLASSIC: ReadonlySet<Endpoint> = new Set(['chat/completions', 'completions', 'embeddings'])

/**
 * Which rule applies to a request and where it goes (SPEC section 9): the first enabled matching rule; the draw
 * (a hash of the event id against `percent`) picks the arm; then, for the canary, the target's key, endpoint and
 * Azure settings, any of which missing skips the rule. Fallbacks that could not be called are left out. Null: no
 * rule applies.
 */
export function planRoute(rules: readonly Rule[], req: RouteRequest, eventId: string, ctx: RouteContext): RouteDecision | null {
  const rule = firstMatch(rules, req)
  if (!rule) return null
  if (!inCanary(eventId, rule.percent ?? 100)) return { ruleId: rule.id, arm: 'control' }
  const first = attemptFor(rule.target, req, ctx)
  if ('skipped' in first) return { ruleId: rule.id, arm: null, skipped: first.skipped }
  const attempts = [first]
  for (const f of rule.fallbacks ?? []) {
    const a = attemptFor(f, req, ctx)
    if (!('skipped' in a)) attempts.push(a)
  }
  return { ruleId: rule.id, arm: 'canary', attempts }
}

/** Where a rule's target (or a fallback) would send the request, or why it cannot take it. */
export function attemptFor(t: RouteTarget, req: RouteRequest, ctx: RouteContext): Attempt | { skipped: SkipReason } {
  if (req.endpoint === 'other' || req.model === null || !PROVIDERS[t.provider].serves.has(req.endpoint)) return { skipped: 'unsupported_endpoint' }
  if (t.provider === 'azure') {
    if (ctx.azureApiVersion === null) return { skipped: 'azure_not_configured' }
    if (ctx.azureApiVersion !== 'v1' && !AZURE_CLASSIC.has(req.endpoint)) return { skipped: 'unsupported_endpoint' }
  }
  if (t.provider === req.provider) return { provider: t.provider, model: t.model, key: null }
  const key = ctx.keyFor(t.provider)
  return key ? { provider: t.provider, model: t.model, key } : { skipped: 'no_key' }
}

/** `X-Lectr-Provider-Key-<Provider>`, as Headers spells it. */
export function providerKeyHeader(provider: ProviderId): string {
  return `x-lectr-provider-key-${provider}`
}
