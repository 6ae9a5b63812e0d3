import type { ProviderId, Task } from '../domain'
import type { Endpoint } from '../domain'
import type { Rule } from './schema'

/** What rules are matched against: the request as detected. */
export interface RouteRequest {
  model: string | null
  provider: ProviderId
  feature: string | null
  task: Task | null
  endpoint: Endpoint
  stream: boolean
}

export interface TraceStep {
  ruleId: string
  matched: boolean
  reason: string
}

/**
 * The first enabled rule whose `match` holds (every field given must hold; a list is any-of; an empty match holds
 * for everything), or null. With `trace`, why each rule up to that one did or did not apply.
 */
export function firstMatch(rules: readonly Rule[], req: RouteRequest, trace?: TraceStep[]): Rule | null {
  // The proxy's path asks no trace: test the conditions without building a reason for every rule that fails.
  if (!trace) {
    for (const rule of rules) if (rule.enabled && holds(rule.match, req)) return rule
    return null
  }
  for (const rule of rules) {
    const why = rule.enabled ? mismatch(rule, req) : 'disabled'
    trace?.push({ ruleId: rule.id, matched: why === null, reason: why ?? 'every condition holds' })
    if (why === null) return rule
  }
  return null
}

/** `mismatch(rule, req) === null`, without the strings. */
function holds(m: Rule['match'], req: RouteRequest): boolean {
  if (m.provider && !m.provider.includes(req.provider)) return false
  if (m.endpoint && !m.endpoint.includes(req.endpoint)) return false
  if (m.stream !== undefined && m.stream !== req.stream) return false
  if (m.model && !anyModelMatches(m.model, req.model)) return false
  if (m.feature && !(req.feature !== null && m.feature.includes(req.feature))) return false
  if (m.task && !(req.task !== null && (m.task as string[]).includes(req.task))) return false
  return true
}

function anyModelMatches(patterns: readonly string[], model: string | null): boolean {
  if (model === null) return false
  for (const p of patterns) if (modelMatches(p, model)) return true
  return false
}

/** Why a rule's match does not hold for `req`, or null when it does. */
function mismatch(rule: Rule, req: RouteRequest): string | null {
  const m = rule.match
  if (m.provider && !m.provider.includes(req.provider)) return `provider ${req.provider} is not one of ${m.provider.join(', ')}`
  if (m.endpoint && !m.endpoint.includes(req.endpoint)) return `endpoint ${req.endpoint} is not one of ${m.endpoint.join(', ')}`
  if (m.stream !== undefined && m.stream !== req.stream) return `stream is ${req.stream}, the rule wants ${m.stream}`
  if (m.model && !(req.model !== null && m.model.some((p) => modelMatches(p, req.model!)))) {
    return `model ${req.model ?? '(none)'} matches none of ${m.model.join(', ')}`
  }
  if (m.feature && !(req.feature !== null && m.feature.includes(req.feature))) return `feature ${req.feature ?? '(none)'} is not one of ${m.feature.join(', ')}`
  if (m.task && !(req.task !== null && (m.task as string[]).includes(req.task))) return `task ${req.task ?? '(none)'} is not one of ${m.task.join(', ')}`
  return null
}

/** @example modelMatches('gpt-4o-2024-*', 'gpt-4o-2024-08-06') // true */
export function modelMatches(pattern: string, model: string): boolean {
  return pattern.endsWith('*') ? model.startsWith(pattern.slice(0, -1)) : model === pattern
}
