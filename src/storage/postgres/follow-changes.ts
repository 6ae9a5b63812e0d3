import type { SQL } from 'bun'
import { watchChanges, type ChangeArea, type ChangeWatch, type WatchOptions } from './changes'
import type { PostgresOrgs } from './orgs'
import type { PostgresSettings } from './settings'

/**
 * Keeps one instance's in-memory views current with what any instance writes: each change heard (changes.ts) reads
 * that area again. The admin token is not kept by the stores: `adminTokenChanged` gets the stored hash to put in
 * force (the server keeps it, and sessions of another token end with it).
 */
export function followChanges(
  sql: SQL,
  stores: { orgs: PostgresOrgs; settings: PostgresSettings },
  opts: WatchOptions & { adminTokenChanged?: (hash: string | null) => void } = {},
): ChangeWatch {
  const reread: Record<ChangeArea, () => Promise<void>> = {
    orgs: () => stores.orgs.refresh(),
    routing: () => stores.settings.routing.load(),
    'price-overrides': () => stores.settings.priceOverrides.load(),
    'admin-token': async () => opts.adminTokenChanged?.(await stores.settings.adminToken.storedHash()),
  }
  return watchChanges(sql, (area) => reread[area](), opts)
}
