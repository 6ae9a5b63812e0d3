/**
 * Orgs, their keys (stored hashed) and their provider settings: the interface every store implements (SQLite
 * today, see sqlite/orgs.ts), and the plain data it takes and returns.
 */
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

/**
 * What the proxy asks on every request, answered from memory (never the database): the org of a presented key, an
 * org's Azure settings. The store keeps it current after its own writes and on `refresh()`.
 */
export interface OrgsInForce {
  /** The org a presented key belongs to, or null. */
  authenticate(presented: string | null): string | null
  getAzure(orgId: string): AzureSettings | null
}

export interface OrgRepository {
  /** the proxy's synchronous view, updated by this store's writes and by `refresh()` */
  readonly inForce: OrgsInForce
  /** Reads the active keys and Azure settings again: another process or instance may have changed them. */
  refresh(): Promise<void>
  list(): Promise<Org[]>
  get(id: string): Promise<Org | null>
  /** Creates an org and its first key. Null when the name's slug is taken. Over-long names are refused (RangeError). */
  create(name: string): Promise<{ org: Org; key: string; keyId: string } | null>
  /**
   * The `default` org on first start. Returns a key to print: when the org was just created, and when the key made
   * for it was never printed (a start that failed or died before printing): nobody can hold that key, so it is
   * deleted and replaced. Until markDefaultKeyShown, the key counts as not shown.
   */
  ensureDefault(): Promise<string | null>
  /** The default org's first key has been printed: from now on it is the user's. */
  markDefaultKeyShown(): Promise<void>
  addKey(orgId: string, label: string | null): Promise<{ key: string; keyId: string; prefix: string }>
  listKeys(orgId: string): Promise<OrgKey[]>
  /** Revokes a key; false when the org has no such active key. */
  revokeKey(orgId: string, keyId: string): Promise<boolean>
  getAzure(orgId: string): Promise<AzureSettings | null>
  putAzure(orgId: string, endpoint: string, apiVersion: string): Promise<AzureSettings>
  /** false when the org had none */
  deleteAzure(orgId: string): Promise<boolean>
}
