import type { Database } from 'bun:sqlite'
import { generateSecret, hashSecret, safeEqual } from './secrets'

/**
 * The admin token in force. A configured token replaces the stored hash; with none configured and none stored,
 * one is generated and returned once (`generated`) so the caller can print it. Only the hash is ever stored.
 */
export function resolveAdminToken(db: Database, configured: string | null): { hash: string; generated: string | null } {
  const setHash = (hash: string) =>
    db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('admin_token_hash', hash)
  if (configured) {
    const hash = hashSecret(configured)
    setHash(hash)
    return { hash, generated: null }
  }
  const stored = db.query('SELECT value FROM meta WHERE key = ?').get('admin_token_hash') as { value: string } | null
  if (stored) return { hash: stored.value, generated: null }
  const token = generateSecret('admin')
  const hash = hashSecret(token)
  setHash(hash)
  return { hash, generated: token }
}

/** Checks `Authorization: Bearer <token>` (or a bare token) against the stored hash in constant time. */
export function isAdminToken(presented: string | null | undefined, hash: string): boolean {
  if (!presented) return false
  const token = presented.startsWith('Bearer ') ? presented.slice(7).trim() : presented.trim()
  return token.length > 0 && safeEqual(hashSecret(token), hash)
}

/**
 * What a dashboard session records of the admin token that signed it in: derived from the token's hash, so the
 * sessions table holds neither the token nor its hash, and the same on every instance sharing the database.
 */
export function sessionTagOf(adminTokenHash: string): string {
  return hashSecret(`lectr-session-tag:${adminTokenHash}`)
}
