import { findModel } from '../registry/lookup'
import type { ProviderId } from '../domain'
import type { ModelEntry, Registry } from '../registry/schema'
import type { Aggressiveness } from './types'

/**
 * The models one `conservative` step after another from `entry`, nearest first.
 *
 * Targets resolve through `findModel` for `provider`, so a target the provider's catalogue does not hold
 * (a typo, or a model of another provider) ends the chain: recommendations never cross providers.
 * A target already seen (a cycle, or the model itself) ends it too.
 *
 * @example
 * downgradeChain(registry, 'openai', findModel(registry, 'openai', 'gpt-4')!).map((m) => m.id)
 * // ['gpt-4o', 'gpt-4o-mini']
 */
export function downgradeChain(registry: Registry, provider: ProviderId, entry: ModelEntry): ModelEntry[] {
  const chain: ModelEntry[] = []
  const seen = new Set([entry.id])
  let next = stepFrom(registry, provider, entry, 'conservative')
  while (next && !seen.has(next.id)) {
    chain.push(next)
    seen.add(next.id)
    next = stepFrom(registry, provider, next, 'conservative')
  }
  return chain
}

/** The steps towards a group's target, nearest first, the chosen target last; and how that target was chosen. */
export interface TargetPath {
  steps: ModelEntry[]
  /** for the reason line */
  how: 'one step down' | "the model's aggressive target" | 'the end of the downgrade chain'
}

/**
 * Where a model's traffic would go at a given aggressiveness, with the steps on the way so the engine can fall
 * back to a nearer one when the target turns out not to be cheaper. Null when the model has nowhere to go.
 *
 * - moderate, conservative: one step, the model's `conservative` target
 * - aggressive: the model's `aggressive` target if set (reached through the conservative chain when it lies on
 *   it, else straight after the first step), otherwise the end of the conservative chain
 */
export function targetPath(
  registry: Registry,
  provider: ProviderId,
  entry: ModelEntry,
  aggressiveness: Aggressiveness,
): TargetPath | null {
  const chain = downgradeChain(registry, provider, entry)
  if (aggressiveness !== 'aggressive') {
    return chain.length > 0 ? { steps: chain.slice(0, 1), how: 'one step down' } : null
  }
  const explicit = stepFrom(registry, provider, entry, 'aggressive')
  if (explicit && explicit.id !== entry.id) {
    const onChain = chain.findIndex((m) => m.id === explicit.id)
    const before = onChain >= 0 ? chain.slice(0, onChain) : chain.slice(0, 1)
    return { steps: [...before, explicit], how: "the model's aggressive target" }
  }
  return chain.length > 0 ? { steps: chain, how: 'the end of the downgrade chain' } : null
}

function stepFrom(
  registry: Registry,
  provider: ProviderId,
  entry: ModelEntry,
  kind: 'conservative' | 'aggressive',
): ModelEntry | null {
  return findModel(registry, provider, entry.downgrade?.[kind])
}
