import { idFloorOf } from '../events/queries'
import { validateRuleSet } from '../routing/validate'
import type { AdminDeps } from './deps'

/**
 * Saves an old version's rules as the newest, checked against the registry in force first: it may have changed
 * since, and a version whose targets are no longer valid is not put back in force.
 */
export async function restoreRouting(
  deps: Pick<AdminDeps, 'storage' | 'registry'>,
  org: string,
  version: number,
): Promise<{ ok: true; version: number } | { ok: false; status: 400 | 404; code: string; message: string; problems?: string[] }> {
  const old = (await deps.storage.settings.routing.versions(org)).find((v) => v.version === version)
  if (!old) return { ok: false, status: 404, code: 'lectr_not_found', message: `Org "${org}" has no routing version ${version}.` }
  const checked = validateRuleSet({ rules: old.rules }, deps.registry.current())
  if (!checked.ok) return { ok: false, status: 400, code: 'lectr_invalid_rules', message: `Version ${version} no longer passes validation; nothing was changed.`, problems: checked.problems }
  return { ok: true, version: (await deps.storage.settings.routing.save(org, checked.rules)).version }
}

/** One rule's arm over a window (SPEC section 9), as the API and the dashboard's Routing page show it. */
export interface ArmRow {
  ruleId: string
  arm: 'canary' | 'control'
  requests: number
  errors: number
  avgLatencyMs: number
  avgOutputTokens: number | null
  costUsd: number
  costPerRequestUsd: number
  baselineCostUsd: number
}

/** Each rule's canary and control arms in a window (null ends: unbounded), by rule id then arm; await `deps.eventsWritten()` first. */
export function armsOf(deps: Pick<AdminDeps, 'db'>, org: string, since: number | null, until: number | null): ArmRow[] {
  // Ids are UUIDv7: the (org_id, id) index bounds the window, no index on time needed.
  const rows = deps.db
    .query(
      `SELECT rule_id AS ruleId, arm, COUNT(*) AS requests, SUM(status >= 400) AS errors, AVG(latency_ms) AS avgLatencyMs,
              AVG(output_tokens) AS avgOutputTokens, TOTAL(cost_usd) AS costUsd, TOTAL(baseline_cost_usd) AS baselineCostUsd
       FROM events WHERE org_id = ? AND id >= ? AND id < ? AND rule_id IS NOT NULL AND arm IS NOT NULL
       GROUP BY rule_id, arm ORDER BY rule_id, arm`,
    )
    .all(org, idFloorOf(since ?? 0), until === null ? 'g' : idFloorOf(until)) as any[]
  return rows.map((r) => ({
    ...r,
    avgLatencyMs: Math.round(r.avgLatencyMs * 100) / 100,
    avgOutputTokens: r.avgOutputTokens === null ? null : Math.round(r.avgOutputTokens * 100) / 100,
    costUsd: Math.round(r.costUsd * 1e10) / 1e10,
    costPerRequestUsd: Math.round((r.costUsd / r.requests) * 1e10) / 1e10,
    baselineCostUsd: Math.round(r.baselineCostUsd * 1e10) / 1e10,
  }))
}
