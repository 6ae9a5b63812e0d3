import type { Database } from 'bun:sqlite'
import { displayPrefix, generateSecret, hashSecret } from '../../auth/secrets'
import { LIMITS } from '../../limits'
import { checkLength, slugify } from '../../orgs/slug'
import type { AzureSettings, Org, OrgKey, OrgRepository } from '../orgs'
import { OrgsMemory, type ActiveKey } from '../orgs-in-force'

/** meta key: the id of the default org's first key while it has not been printed yet */
const DEFAULT_KEY_UNSHOWN = 'default_org_key_unshown'

/** Orgs, keys and Azure settings in the SQLite file; the proxy's answers kept in memory (`inForce`). */
export class SqliteOrgs implements OrgRepository {
  readonly inForce = new OrgsMemory()

  constructor(
    private db: Database,
    private clock: () => Date = () => new Date(),
  ) {
    this.load()
  }

  async refresh(): Promise<void> {
    this.load()
  }

  private load(): void {
    const keys = this.db.query('SELECT id AS keyId, org_id AS orgId, hash FROM org_keys WHERE revoked_at IS NULL').all() as ActiveKey[]
    const azure = this.db
      .query('SELECT org_id AS orgId, endpoint, api_version AS apiVersion, updated_at AS updatedAt FROM azure_settings')
      .all() as (AzureSettings & { orgId: string })[]
    this.inForce.replace(keys, new Map(azure.map(({ orgId, ...s }) => [orgId, s])))
  }

  async list(): Promise<Org[]> {
    return this.db.query('SELECT id, name, created_at AS createdAt FROM orgs ORDER BY created_at, id').all() as Org[]
  }

  async get(id: string): Promise<Org | null> {
    return this.getNow(id)
  }

  private getNow(id: string): Org | null {
    return (this.db.query('SELECT id, name, created_at AS createdAt FROM orgs WHERE id = ?').get(id) as Org | null) ?? null
  }

  async create(name: string): Promise<{ org: Org; key: string; keyId: string } | null> {
    return this.createNow(name)
  }

  private createNow(name: string): { org: Org; key: string; keyId: string } | null {
    checkLength('An org name', name, LIMITS.orgName)
    const id = slugify(name)
    if (!id || this.getNow(id)) return null
    const org: Org = { id, name, createdAt: this.clock().toISOString() }
    let key = ''
    let keyId = ''
    this.db.transaction(() => {
      this.db.query('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)').run(org.id, org.name, org.createdAt)
      ;({ key, keyId } = this.insertKey(org.id, 'first key'))
    })()
    return { org, key, keyId }
  }

  async ensureDefault(): Promise<string | null> {
    const unshown = this.db.query('SELECT value FROM meta WHERE key = ?').get(DEFAULT_KEY_UNSHOWN) as { value: string } | null
    const exists = this.getNow('default') !== null
    if (exists && !unshown) return null
    let key = ''
    this.db.transaction(() => {
      let keyId: string
      if (!exists) ({ key, keyId } = this.createNow('default')!)
      else {
        const old = this.db.query('DELETE FROM org_keys WHERE id = ? AND org_id = ? RETURNING hash').get(unshown!.value, 'default') as { hash: string } | null
        if (old) this.inForce.dropKey(old.hash)
        ;({ key, keyId } = this.insertKey('default', 'first key'))
      }
      this.db.query('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(DEFAULT_KEY_UNSHOWN, keyId)
    })()
    return key
  }

  async markDefaultKeyShown(): Promise<void> {
    this.db.query('DELETE FROM meta WHERE key = ?').run(DEFAULT_KEY_UNSHOWN)
  }

  async addKey(orgId: string, label: string | null): Promise<{ key: string; keyId: string; prefix: string }> {
    checkLength('A key label', label, LIMITS.keyLabel)
    const { key, keyId } = this.insertKey(orgId, label)
    return { key, keyId, prefix: displayPrefix(key) }
  }

  private insertKey(orgId: string, label: string | null) {
    const key = generateSecret('org')
    const keyId = crypto.randomUUID()
    const hash = hashSecret(key)
    this.db
      .query('INSERT INTO org_keys (id, org_id, prefix, hash, label, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(keyId, orgId, displayPrefix(key), hash, label, this.clock().toISOString())
    this.inForce.addKey({ orgId, keyId, hash })
    return { key, keyId }
  }

  async listKeys(orgId: string): Promise<OrgKey[]> {
    return this.db
      .query(
        `SELECT id, org_id AS orgId, prefix, label, created_at AS createdAt, revoked_at AS revokedAt
         FROM org_keys WHERE org_id = ? ORDER BY created_at, id`,
      )
      .all(orgId) as OrgKey[]
  }

  async revokeKey(orgId: string, keyId: string): Promise<boolean> {
    const row = this.db
      .query('SELECT hash FROM org_keys WHERE id = ? AND org_id = ? AND revoked_at IS NULL')
      .get(keyId, orgId) as { hash: string } | null
    if (!row) return false
    this.db.query('UPDATE org_keys SET revoked_at = ? WHERE id = ?').run(this.clock().toISOString(), keyId)
    this.inForce.dropKey(row.hash)
    return true
  }

  async getAzure(orgId: string): Promise<AzureSettings | null> {
    return (
      (this.db
        .query('SELECT endpoint, api_version AS apiVersion, updated_at AS updatedAt FROM azure_settings WHERE org_id = ?')
        .get(orgId) as AzureSettings | null) ?? null
    )
  }

  async putAzure(orgId: string, endpoint: string, apiVersion: string): Promise<AzureSettings> {
    checkLength('An Azure endpoint', endpoint, LIMITS.azureEndpoint)
    const s: AzureSettings = { endpoint, apiVersion, updatedAt: this.clock().toISOString() }
    this.db
      .query(
        `INSERT INTO azure_settings (org_id, endpoint, api_version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(org_id) DO UPDATE SET endpoint = excluded.endpoint, api_version = excluded.api_version, updated_at = excluded.updated_at`,
      )
      .run(orgId, endpoint, apiVersion, s.updatedAt)
    this.inForce.setAzure(orgId, s)
    return s
  }

  async deleteAzure(orgId: string): Promise<boolean> {
    const r = this.db.query('DELETE FROM azure_settings WHERE org_id = ?').run(orgId)
    this.inForce.setAzure(orgId, null)
    return r.changes > 0
  }
}
