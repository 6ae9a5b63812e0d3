import type { Database } from 'bun:sqlite'
import type { Registry } from '../registry/schema'
import type { Rule } from './schema'

/**
 * STUB so the dashboard compiles: the real replay is written on another branch with this same signature, and the
 * merge replaces this file. It returns no results.
 */

/** One rule's figures for a window; `atPercent` holds the same figures at the rule's percent. */
export interface DryRunFigures {
  matched: number
  costUsd: number
  projectedCostUsd: number
  deltaUsd: number
  monthlyDeltaUsd: number
}

export interface DryRunRuleResult extends DryRunFigures {
  ruleId: string
  /** requests the rule would skip, by reason (`unsupported_endpoint`, …) */
  skipped: Record<string, number>
  atPercent: DryRunFigures
}

export function dryRun(
  _db: Database,
  _registry: Registry,
  _org: string,
  _rules: Rule[],
  _since: number,
  _until: number,
): { results: DryRunRuleResult[] } {
  return { results: [] }
}
