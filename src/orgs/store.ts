import type { Database } from 'bun:sqlite'
import { displayPrefix, generateSecret, hashSecret, safeEqual } from '../auth/secrets'
import { LIMITS } from '../limits'

export interface Org {
  id: string
  name: string
  createdAt: string
}
export interface OrgKey {
  id: string
  orgId: string
  prefix: string
  label: string | null
  createdAt: string
  revokedAt: string | null
}
export interface AzureSettings {
  endpoint: string
  apiVersion: string
  updatedAt: string
}

/** meta key: the id of the default org's first key while it has not been printed yet */
const DEFAULT_KEY_UNSHOWN = 'default_org_key_unshown'

interface KeyRef {
  orgId: string
  keyId: string
  hash: string
}

/** An org's id is its URL slug: lower-case letters, digits and dashes. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
}

/** Callers validate lengths first (with a 400 that lists the problems); this keeps any other path from storing more. */
function checkLength(what: string, value: string | null, max: number): void {
  if (value !== null && value.length > max) throw new RangeError(`${what} is longer than ${max} characters`)
}

/**
 * Orgs, their keys (stored hashed) and their provider settings.
 * Active key hashes are kept in memory so the per-request check never touches the disk.
 */
export class OrgStore {
  private keys = new Map<string, KeyRef>()
  private azure = new Map<string, AzureSettings | null>()

  constructor(
    private db: Database,
    private clock: () => Date = () => new Date(),
  ) {
    this.reloadKeys()
  }

  /** Reads the active keys again: another process (`lectr keys create`) may have added or revoked some. */
  reloadKeys(): void {
    const rows = this.db.query('SELECT id, org_id, hash FROM org_keys WHERE revoked_at IS NULL').all() as {
      id: string
      org_id: string
      hash: string
    }[]
    const keys = new Map<string, KeyRef>()
    for (const r of rows) keys.set(r.hash, { orgId: r.org_id, keyId: r.id, hash: r.hash })
    this.keys = keys
  }

  /** The org a presented key belongs to, or null. */
  authenticate(presented: string | null): string | null {
    if (!presented) return null
    const hash = hashSecret(presented)
    const ref = this.keys.get(hash)
    // The map lookup already matched; the constant-time compare keeps the check honest if lookup ever changes.
    return ref && safeEqual(ref.hash, hash) ? ref.orgId : null
  }

  list(): Org[] {
    return (this.db.query('SELECT id, name, created_at AS createdAt FROM orgs ORDER BY created_at, id').all() as Org[])
  }

  get(id: string): Org | null {
    return (this.db.query('SELECT id, name, created_at AS createdAt FROM orgs WHERE id = ?').get(id) as Org | null) ?? null
  }

  /** Creates an org and its first key. Returns null when the name's slug is taken. */
  create(name: string): { org: Org; key: string; keyId: string } | null {
    checkLength('An org name', name, LIMITS.orgName)
    const id = slugify(name)
    if (!id || this.get(id)) return null
    const org: Org = { id, name, createdAt: this.clock().toISOString() }
    let key = ''
    let keyId = ''
    this.db.transaction(() => {
      this.db.query('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)').run(org.id, org.name, org.createdAt)
      ;({ key, keyId } = this.insertKey(org.id, 'first key'))
    })()
    return { org, key, keyId }
  }

  /**
   * The `default` org on first start. Returns a key to print: when the org was just created, and when the key made
   * for it was never printed (a start that failed or died before printing): nobody can hold that key, so it is
   * deleted and replaced. Until markDefaultKeyShown, the key counts as not shown.
   */
  ensureDefault(): string | null {
    const unshown = this.db.query('SELECT value FROM meta WHERE key = ?').get(DEFAULT_KEY_UNSHOWN) as { value: string } | null
    const exists = this.get('default') !== null
    if (exists && !unshown) return null
    let key = ''
    this.db.transaction(() => {
      let keyId: string
      if (!exists) ({ key, keyId } = this.create('default')!)
      else {
        const old = this.db.query('DELETE FROM org_keys WHERE id = ? AND org_id = ? RETURNING hash').get(unshown!.value, 'default') as { hash: string } | null
        if (old) this.keys.delete(old.hash)
        ;({ key, keyId } = this.insertKey('default', 'first key'))
      }
      this.db.query('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(DEFAULT_KEY_UNSHOWN, keyId)
    })()
    return key
  }

  /** The default org's first key has been printed: from now on it is the user's. */
  markDefaultKeyShown(): void {
    this.db.query('DELETE FROM meta WHERE key = ?').run(DEFAULT_KEY_UNSHOWN)
  }

  addKey(orgId: string, label: string | null): { key: string; keyId: string; prefix: string } {
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
    this.keys.set(hash, { orgId, keyId, hash })
    return { key, keyId }
  }

  listKeys(orgId: string): OrgKey[] {
    return this.db
      .query(
        `SELECT id, org_id AS orgId, prefix, label, created_at AS createdAt, revoked_at AS revokedAt
         FROM org_keys WHERE org_id = ? ORDER BY created_at, id`,
      )
      .all(orgId) as OrgKey[]
  }

  /** Revokes a key; false when the org has no such active key. */
  revokeKey(orgId: string, keyId: string): boolean {
    const row = this.db
      .query('SELECT hash FROM org_keys WHERE id = ? AND org_id = ? AND revoked_at IS NULL')
      .get(keyId, orgId) as { hash: string } | null
    if (!row) return false
    this.db.query('UPDATE org_keys SET revoked_at = ? WHERE id = ?').run(this.clock().toISOString(), keyId)
    this.keys.delete(row.hash)
    return true
  }

  getAzure(orgId: string): AzureSettings | null {
    if (this.azure.has(orgId)) return this.azure.get(orgId)!
    const row = this.db
      .query('SELECT endpoint, api_version AS apiVersion, updated_at AS updatedAt FROM azure_settings WHERE org_id = ?')
      .get(orgId) as AzureSettings | null
    this.azure.set(orgId, row ?? null)
    return row ?? null
  }

  putAzure(orgId: string, endpoint: string, apiVersion: string): AzureSettings {
    checkLength('An Azure endpoint', endpoint, LIMITS.azureEndpoint)
    const s: AzureSettings = { endpoint, apiVersion, updatedAt: this.clock().toISOString() }
    this.db
      .query(
        `INSERT INTO azure_settings (org_id, endpoint, api_version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(org_id) DO UPDATE SET endpoint = excluded.endpoint, api_version = excluded.api_version, updated_at = excluded.updated_at`,
      )
      .run(orgId, endpoint, apiVersion, s.updatedAt)
    this.azure.set(orgId, s)
    return s
  }

  deleteAzure(orgId: string): boolean {
    const r = this.db.query('DELETE FROM azure_settings WHERE org_id = ?').run(orgId)
    this.azure.set(orgId, null)
    return r.changes > 0
  }
}
