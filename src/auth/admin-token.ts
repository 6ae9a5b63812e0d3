import type { Database } from 'bun:sqlite'
import { generateSecret, hashSecret, safeEqual } from './secrets'

/** Set while a generated admin token has not been printed yet: its hash is stored, but nobody holds it. */
const UNSHOWN = 'admin_token_unshown'

/**
 * The admin token in force. A configured token replaces the stored hash. With none configured, a token is
 * generated and returned once (`generated`) so the caller can print it, when none is stored or when the stored one
 * was generated but never printed (a start that failed or died before printing; see markAdminTokenShown).
 * Only the hash is ever stored.
 */
export function resolveAdminToken(db: Database, configured: string | null): { hash: string; generated: string | null } {
  if (configured) {
    const hash = hashSecret(configured)
    db.transaction(() => {
      storeAdminTokenHash(db, hash)
      db.query('DELETE FROM meta WHERE key = ?').run(UNSHOWN)
    })()
    return { hash, generated: null }
  }
  const stored = storedAdminTokenHash(db)
  const unshown = db.query('SELECT 1 FROM meta WHERE key = ?').get(UNSHOWN) !== null
  if (stored && !unshown) return { hash: stored, generated: null }
  const token = generateSecret('admin')
  const hash = hashSecret(token)
  db.transaction(() => {
    storeAdminTokenHash(db, hash)
    db.query('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(UNSHOWN, '1')
  })()
  return { hash, generated: token }
}

/** The generated admin token has been printed: from now on it is the user's, kept across starts. */
export function markAdminTokenShown(db: Database): void {
  db.query('DELETE FROM meta WHERE key = ?').run(UNSHOWN)
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

/**
 * A new admin token in place of the stored one (`lectr admin-token reset`, for a lost token): returned once to
 * print, only its hash stored. Dashboard sessions end with it (their tag derives from the hash).
 */
export function resetAdminToken(db: Database): string {
  const token = generateSecret('admin')
  db.transaction(() => {
    storeAdminTokenHash(db, hashSecret(token))
    db.query('DELETE FROM meta WHERE key = ?').run(UNSHOWN)
  })()
  return token
}

function storeAdminTokenHash(db: Database, hash: string): void {
  db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('admin_token_hash', hash)
}

/** The stored admin token hash, or null before the first start. */
export function storedAdminTokenHash(db: Database): string | null {
  return (db.query('SELECT value FROM meta WHERE key = ?').get('admin_token_hash') as { value: string } | null)?.value ?? null
}
