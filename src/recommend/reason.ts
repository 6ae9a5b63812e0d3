import type { Task } from '../domain'
import { count, percentLess } from './format'

/** Everything the reason line states, each checkable against the recommendation's own fields. */
export interface ReasonFacts {
  task: Task | null
  requests: number
  avgInputTokens: number
  avgOutputTokens: number
  suggestedModel: string
  currentCostUsd: number
  projectedCostUsd: number
  /** the task table's rule in words (policy.ts) */
  rule: string
  /** how the target was chosen (chain.ts) */
  how: string
  /** set when the chosen target was not cheaper and a nearer step was suggested instead */
  fellBackFrom: { model: string; priced: boolean } | null
}

/**
 * One line a person can check.
 *
 * @example
 * // "classification traffic, 1,240 requests averaging 310 input / 12 output tokens: gpt-4o-mini costs 94% less
 * //  for this token mix; classification → aggressive, the end of the downgrade chain"
 */
export function reasonLine(f: ReasonFacts): string {
  const subject = f.task === null ? 'untagged traffic' : `${f.task} traffic`
  const traffic = `${subject}, ${count(f.requests)} requests averaging ${count(f.avgInputTokens)} input / ${count(f.avgOutputTokens)} output tokens`
  const saving = `${f.suggestedModel} costs ${percentLess(f.currentCostUsd, f.projectedCostUsd)} less for this token mix`
  const fallback = f.fellBackFrom
    ? `; ${f.fellBackFrom.model} ${f.fellBackFrom.priced ? 'would not be cheaper' : 'has no price'}, so the nearest cheaper step`
    : ''
  return `${traffic}: ${saving}; ${f.rule}, ${f.how}${fallback}`
}
