import type { Task } from '../domain'
import { count } from './format'
import type { Aggressiveness } from './types'

/**
 * Generation (and untagged) traffic is only downgraded when its outputs are short: long free-form answers are
 * where a smaller model's quality loss shows, while short ones (titles, replies, snippets) rarely need the
 * bigger model. Not a registry setting (the registry file has no field for it), so it lives here.
 */
export const SHORT_OUTPUT_TOKENS = 500

/** Per-request averages of a group; input includes cached tokens (SPEC section 6). */
export interface TrafficShape {
  avgInputTokens: number
  avgOutputTokens: number
}

/** What the task table says for a group, and the rule in words for the recommendation's reason. */
export interface Policy {
  /** null: this group is never downgraded */
  aggressiveness: Aggressiveness | null
  rule: string
}

/**
 * Applies SPEC section 6's task table.
 *
 * - classification: aggressive
 * - extraction: aggressive for short prompts, moderate for long ones
 * - summarisation: moderate for short prompts, conservative for long ones
 * - generation, or no task: conservative only when the other signals agree: outputs average at most
 *   {@link SHORT_OUTPUT_TOKENS} tokens AND prompts are short. Either signal failing means nothing.
 * - reasoning: never
 *
 * A prompt is long when the average input tokens (cached included) exceed `longPromptTokens`.
 *
 * @example
 * aggressivenessFor('extraction', { avgInputTokens: 9000, avgOutputTokens: 40 }, 4000)
 * // { aggressiveness: 'moderate', rule: 'extraction with long prompts (> 4,000 input tokens) → moderate' }
 */
export function aggressivenessFor(task: Task | null, shape: TrafficShape, longPromptTokens: number): Policy {
  const long = shape.avgInputTokens > longPromptTokens
  const prompts = long
    ? `long prompts (> ${count(longPromptTokens)} input tokens)`
    : `short prompts (≤ ${count(longPromptTokens)} input tokens)`
  switch (task) {
    case 'classification':
      return { aggressiveness: 'aggressive', rule: 'classification → aggressive' }
    case 'extraction':
      return long
        ? { aggressiveness: 'moderate', rule: `extraction with ${prompts} → moderate` }
        : { aggressiveness: 'aggressive', rule: `extraction with ${prompts} → aggressive` }
    case 'summarisation':
      return long
        ? { aggressiveness: 'conservative', rule: `summarisation with ${prompts} → conservative` }
        : { aggressiveness: 'moderate', rule: `summarisation with ${prompts} → moderate` }
    case 'reasoning':
      return { aggressiveness: null, rule: 'reasoning is never downgraded' }
    case 'generation':
    case null:
      return generationPolicy(task === null ? 'untagged traffic' : 'generation', shape, long, prompts)
  }
}

function generationPolicy(subject: string, shape: TrafficShape, long: boolean, prompts: string): Policy {
  const shortOutputs = shape.avgOutputTokens <= SHORT_OUTPUT_TOKENS
  if (shortOutputs && !long) {
    return {
      aggressiveness: 'conservative',
      rule: `${subject} with short outputs (≤ ${count(SHORT_OUTPUT_TOKENS)} output tokens) and ${prompts} → conservative`,
    }
  }
  const outputs = shortOutputs ? 'short outputs' : `long outputs (> ${count(SHORT_OUTPUT_TOKENS)} output tokens)`
  return { aggressiveness: null, rule: `${subject} with ${outputs} and ${prompts} is left alone` }
}
