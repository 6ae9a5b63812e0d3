import { hashSecret, safeEqual } from './secrets'

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
