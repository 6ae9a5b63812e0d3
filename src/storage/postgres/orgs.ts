import type { SQL } from 'bun'
import { displayPrefix, generateSecret, hashSecret } from '../../auth/secrets'
import { LIMITS } from '../../limits'
import { checkLength, slugify } from '../../orgs/slug'
import type { AzureSettings, Org, OrgKey, OrgRepository } from '../orgs'
import { OrgsMemory, type ActiveKey } from '../orgs-in-force'
import { recordChange } from './changes'
import { DEFAULT_KEY_CLAIM, DEFAULT_ORG_LOCK } from './locks'
import { PrintClaim } from './print-claim'
import { SerialRefresh } from './serial-refresh'

/** meta key: the id of the default org's first key while it has not been printed yet (as in SQLite) */
const DEFAULT_KEY_UNSHOWN = 'default_org_key_unshown'

interface NewKey {
  key: string
  keyId: string
  prefix: string
  hash: string
  createdAt: string
}

/**
 * Orgs, keys and Azure settings in Postgres, answering as SqliteOrgs does; the proxy's answers in memory (`inForce`:
 * empty until the first `refresh()`, which the caller awaits before serving). Every write records a change
 * (changes.ts) in its transaction so the other instances read again.
 */
export class PostgresOrgs implements OrgRepository {
  readonly inForce = new OrgsMemory()
  private readonly reload: SerialRefresh
  private readonly clock: () => Date
  private readonly printClaim: PrintClaim

  constructor(
    private readonly sql: SQL,
    opts: { clock?: () => Date } = {},
  ) {
    this.clock = opts.clock ?? (() => new Date())
    this.printClaim = new PrintClaim(sql, DEFAULT_ORG_LOCK, DEFAULT_KEY_CLAIM)
    this.reload = new SerialRefresh(async () => {
      const keys = await this.sql`SELECT id AS "keyId", org_id AS "orgId", hash FROM org_keys WHERE revoked_at IS NULL`
      const azure = await this.sql`SELECT org_id AS "orgId", endpoint, api_version AS "apiVersion", updated_at AS "updatedAt" FROM azure_settings`
      return () =>
        this.inForce.replace(
          (keys as ActiveKey[]).map(({ keyId, orgId, hash }) => ({ keyId, orgId, hash })),
          new Map((azure as (AzureSettings & { orgId: string })[]).map(({ orgId, endpoint, apiVersion, updatedAt }) => [orgId, { endpoint, apiVersion, updatedAt }])),
        )
    })
  }

  refresh(): Promise<void> {
    return this.reload.run()
  }

  async list(): Promise<Org[]> {
    const rows = await this.sql`SELECT id, name, created_at AS "createdAt" FROM orgs ORDER BY created_at COLLATE "C", id COLLATE "C"`
    return rows.map(toOrg)
  }

  async get(id: string): Promise<Org | null> {
    const [row] = await this.sql`SELECT id, name, created_at AS "createdAt" FROM orgs WHERE id = ${id}`
    return row ? toOrg(row) : null
  }

  async create(name: string): Promise<{ org: Org; key: string; keyId: string } | null> {
    checkLength('An org name', name, LIMITS.orgName)
    const id = slugify(name)
    if (!id) return null
    const org: Org = { id, name, createdAt: this.clock().toISOString() }
    const made = await this.sql.begin(async (tx) => {
      // Two instances creating one name: the second's insert waits for the first's commit, then does nothing (null, a 409).
      const inserted = await tx`INSERT INTO orgs (id, name, created_at) VALUES (${org.id}, ${org.name}, ${org.createdAt})
        ON CONFLICT DO NOTHING RETURNING id`
      if (inserted.length === 0) return null
      const key = await this.insertKey(tx, org.id, 'first key')
      await recordChange(tx, 'orgs')
      return key
    })
    if (!made) return null
    this.remember(org.id, made)
    return { org, key: made.key, keyId: made.keyId }
  }

  async ensureDefault(): Promise<string | null> {
    let dropped: string | null = null
    const made = await this.printClaim.decide(async (tx, claimedElsewhere) => {
      const [unshown] = await tx`SELECT value FROM meta WHERE key = ${DEFAULT_KEY_UNSHOWN}`
      const [exists] = await tx`SELECT 1 AS one FROM orgs WHERE id = 'default'`
      // Not shown yet, but another live instance made it and is printing it: it is not ours to replace.
      if (exists && (!unshown || claimedElsewhere)) return { value: null, claim: false }
      if (!exists) {
        await tx`INSERT INTO orgs (id, name, created_at) VALUES ('default', 'default', ${this.clock().toISOString()})`
      } else {
        const [old] = await tx`DELETE FROM org_keys WHERE id = ${(unshown as { value: string }).value} AND org_id = 'default' RETURNING hash`
        dropped = (old as { hash: string } | undefined)?.hash ?? null
      }
      const key = await this.insertKey(tx, 'default', 'first key')
      await tx`INSERT INTO meta (key, value) VALUES (${DEFAULT_KEY_UNSHOWN}, ${key.keyId})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`
      await recordChange(tx, 'orgs')
      return { value: key, claim: true }
    })
    if (!made) return null
    if (dropped) this.inForce.dropKey(dropped)
    this.remember('default', made)
    return made.key
  }

  async markDefaultKeyShown(): Promise<void> {
    await this.sql`DELETE FROM meta WHERE key = ${DEFAULT_KEY_UNSHOWN}`
    this.printClaim.release()
  }

  async addKey(orgId: string, label: string | null): Promise<{ key: string; keyId: string; prefix: string }> {
    checkLength('A key label', label, LIMITS.keyLabel)
    const made = await this.sql.begin(async (tx) => {
      const key = await this.insertKey(tx, orgId, label)
      await recordChange(tx, 'orgs')
      return key
    })
    this.remember(orgId, made)
    return { key: made.key, keyId: made.keyId, prefix: made.prefix }
  }

  private async insertKey(tx: SQL, orgId: string, label: string | null): Promise<NewKey> {
    const key = generateSecret('org')
    const made: NewKey = { key, keyId: crypto.randomUUID(), prefix: displayPrefix(key), hash: hashSecret(key), createdAt: this.clock().toISOString() }
    await tx`INSERT INTO org_keys (id, org_id, prefix, hash, label, created_at)
      VALUES (${made.keyId}, ${orgId}, ${made.prefix}, ${made.hash}, ${label}, ${made.createdAt})`
    return made
  }

  /** After the commit: the new key works on this instance at once. */
  private remember(orgId: string, key: NewKey): void {
    this.inForce.addKey({ orgId, keyId: key.keyId, hash: key.hash })
    this.reload.wrote()
  }

  async listKeys(orgId: string): Promise<OrgKey[]> {
    const rows = await this.sql`SELECT id, org_id AS "orgId", prefix, label, created_at AS "createdAt", revoked_at AS "revokedAt"
      FROM org_keys WHERE org_id = ${orgId} ORDER BY created_at COLLATE "C", id COLLATE "C"`
    return rows.map((r: OrgKey) => ({ id: r.id, orgId: r.orgId, prefix: r.prefix, label: r.label, createdAt: r.createdAt, revokedAt: r.revokedAt }))
  }

  async revokeKey(orgId: string, keyId: string): Promise<boolean> {
    const revokedAt = this.clock().toISOString()
    const hash = await this.sql.begin(async (tx) => {
      // One statement: of two instances revoking one key, only one finds it active.
      const [row] = await tx`UPDATE org_keys SET revoked_at = ${revokedAt}
        WHERE id = ${keyId} AND org_id = ${orgId} AND revoked_at IS NULL RETURNING hash`
      if (!row) return null
      await recordChange(tx, 'orgs')
      return (row as { hash: string }).hash
    })
    if (hash === null) return false
    this.inForce.dropKey(hash)
    this.reload.wrote()
    return true
  }

  async getAzure(orgId: string): Promise<AzureSettings | null> {
    const [row] = await this.sql`SELECT endpoint, api_version AS "apiVersion", updated_at AS "updatedAt" FROM azure_settings WHERE org_id = ${orgId}`
    return row ? toAzure(row) : null
  }

  async putAzure(orgId: string, endpoint: string, apiVersion: string): Promise<AzureSettings> {
    checkLength('An Azure endpoint', endpoint, LIMITS.azureEndpoint)
    const s: AzureSettings = { endpoint, apiVersion, updatedAt: this.clock().toISOString() }
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO azure_settings (org_id, endpoint, api_version, updated_at) VALUES (${orgId}, ${endpoint}, ${apiVersion}, ${s.updatedAt})
        ON CONFLICT (org_id) DO UPDATE SET endpoint = EXCLUDED.endpoint, api_version = EXCLUDED.api_version, updated_at = EXCLUDED.updated_at`
      await recordChange(tx, 'orgs')
    })
    this.inForce.setAzure(orgId, s)
    this.reload.wrote()
    return s
  }

  async deleteAzure(orgId: string): Promise<boolean> {
    const removed = await this.sql.begin(async (tx) => {
      const rows = await tx`DELETE FROM azure_settings WHERE org_id = ${orgId} RETURNING org_id`
      if (rows.length > 0) await recordChange(tx, 'orgs')
      return rows.length > 0
    })
    this.inForce.setAzure(orgId, null)
    this.reload.wrote()
    return removed
  }
}

const toOrg = (r: Org): Org => ({ id: r.id, name: r.name, createdAt: r.createdAt })
const toAzure = (r: AzureSettings): AzureSettings => ({ endpoint: r.endpoint, apiVersion: r.apiVersion, updatedAt: r.updatedAt })
