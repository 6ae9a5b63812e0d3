import { hashSecret, safeEqual } from '../auth/secrets'
import type { AzureSettings, OrgsInForce } from './orgs'

/** An active key as the proxy checks it: by its hash. */
export interface ActiveKey {
  orgId: string
  keyId: string
  hash: string
}

/**
 * The orgs' answers the proxy needs on every request, in memory: active key hashes and Azure settings. Any store
 * fills it (`replace` after reading everything, the small setters after its own writes), so the per-request check
 * never waits on a database.
 */
export class OrgsMemory implements OrgsInForce {
  private keys = new Map<string, ActiveKey>()
  private azure = new Map<string, AzureSettings>()

  replace(keys: readonly ActiveKey[], azure: ReadonlyMap<string, AzureSettings>): void {
    this.keys = new Map(keys.map((k) => [k.hash, k]))
    this.azure = new Map(azure)
  }

  authenticate(presented: string | null): string | null {
    if (!presented) return null
    const hash = hashSecret(presented)
    const ref = this.keys.get(hash)
    // The map lookup already matched; the constant-time compare keeps the check honest if lookup ever changes.
    return ref && safeEqual(ref.hash, hash) ? ref.orgId : null
  }

  getAzure(orgId: string): AzureSettings | null {
    return this.azure.get(orgId) ?? null
  }

  addKey(key: ActiveKey): void {
    this.keys.set(key.hash, key)
  }

  dropKey(hash: string): void {
    this.keys.delete(hash)
  }

  setAzure(orgId: string, settings: AzureSettings | null): void {
    if (settings) this.azure.set(orgId, settings)
    else this.azure.delete(orgId)
  }
}
