import { dryRun, needsRawInputs, replayWindow, type DryRunResult } from '../routing/dry-run'
import type { Rule } from '../routing/schema'
import type { AdminDeps } from './deps'

/**
 * A routing dry run of `rules` over an org's requests in [since, until) (SPEC section 9), as the admin API and the
 * dashboard's Routing page run it: the replay rows from the roll-up store, the registry and Azure settings in force.
 */
export async function runDryRun(
  deps: Pick<AdminDeps, 'storage' | 'registry'>, org: string, rules: Rule[], since: number, until: number,
): Promise<{ results: DryRunResult[] }> {
  const registry = deps.registry.current()
  const raw = needsRawInputs(registry, rules)
  const w = replayWindow(since, until)
  const rows = await deps.storage.rollups.replayRows(org, w.from, w.to, raw)
  return dryRun(rows, raw, registry, deps.storage.orgs.inForce.getAzure(org)?.apiVersion ?? null, rules, since, until)
}
