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
