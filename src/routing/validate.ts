import { Value } from '@sinclair/typebox/value'
import type { Registry } from '../registry/schema'
import { RuleSet, type Rule, type RouteTarget } from './schema'

/**
 * Every problem with a proposed rule set, as lines a person can act on; the rules (percent defaulted) when there
 * are none. Structure first (TypeBox), then what needs the registry: each target and fallback must be a registry
 * model of its provider marked `routingTarget` (an Azure `model` is a deployment name, not looked up), ids unique,
 * percent from 1 to 100, no fallback equal to its rule's target.
 *
 * @example validateRuleSet({ rules: [{ id: 'a', enabled: true, match: {}, target: { provider: 'openai', model: 'nope' } }] }, registry)
 * // { ok: false, problems: ['rules[0] (a): target openai/nope is not a model in the registry'] }
 */
export function validateRuleSet(value: unknown, registry: Registry): { ok: true; rules: Rule[] } | { ok: false; problems: string[] } {
  const problems: string[] = []
  for (const e of Value.Errors(RuleSet, value)) problems.push(`${e.path || '/'}: ${e.message}`)
  if (problems.length) return { ok: false, problems }
  const rules = (value as RuleSet).rules
  const seen = new Set<string>()
  rules.forEach((rule, i) => {
    const where = `rules[${i}] (${rule.id})`
    if (seen.has(rule.id)) problems.push(`${where}: duplicate id "${rule.id}"`)
    seen.add(rule.id)
    if (rule.percent !== undefined && !(rule.percent >= 1 && rule.percent <= 100)) {
      problems.push(`${where}: percent ${rule.percent} is out of range (1 to 100)`)
    }
    const targetProblem = targetProblemOf(rule.target, registry)
    if (targetProblem) problems.push(`${where}: target ${targetProblem}`)
    rule.fallbacks?.forEach((f, j) => {
      const p = targetProblemOf(f, registry)
      if (p) problems.push(`${where}: fallbacks[${j}] ${p}`)
      if (f.provider === rule.target.provider && f.model === rule.target.model) {
        problems.push(`${where}: fallbacks[${j}] ${f.provider}/${f.model} is the rule's own target`)
      }
    })
  })
  if (problems.length) return { ok: false, problems }
  return { ok: true, rules: rules.map((r) => ({ ...r, percent: r.percent ?? 100 })) }
}

function targetProblemOf(t: RouteTarget, registry: Registry): string | null {
  if (t.provider === 'azure') return null
  const entry = registry.models.get(t.model)
  if (!entry || entry.provider !== t.provider) return `${t.provider}/${t.model} is not a model in the registry`
  if (!entry.routingTarget) return `${t.provider}/${t.model} is not a routing target (registry routingTarget)`
  return null
}
