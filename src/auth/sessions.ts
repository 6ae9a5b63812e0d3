import { hashSecret, safeEqual } from './secrets'

/** A session ends after this long without a request ("sliding"), ... */
export const SESSION_IDLE_MS = 12 * 3_600_000
/** ... and in any case this long after sign-in. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000
/** The expiry is pushed forward at most this often, so a busy page does not write on every request. */
const SLIDE_EVERY_MS = 5 * 60_000

export const SESSION_COOKIE = 'lectr_session'

export interface Session {
  /** SHA-256 of the cookie value: the database never holds a usable session id */
  idHash: string
  /** the CSRF token every POST form carries */
  csrf: string
  /** the org the session is looking at; null: the first org */
  orgId: string | null
  createdAt: number
  expiresAt: number
}

/** 32 random bytes, base64url: session ids and CSRF tokens. */
export function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
}

/** A new session (sign-in) for a cookie value `id`, made at `now`: it ends SESSION_IDLE_MS later unless used. */
export function newSession(id: string, orgId: string | null, now: number): Session {
  return { idHash: hashSecret(id), csrf: randomToken(), orgId, createdAt: now, expiresAt: now + SESSION_IDLE_MS }
}

/**
 * A stored session's expiry when it is used at `now`: pushed forward (sliding, capped at SESSION_MAX_MS after
 * sign-in) only when that moves it by SLIDE_EVERY_MS or more, so a busy page does not write on every request.
 * Returns null when it stays as it is.
 */
export function slidExpiry(session: Pick<Session, 'createdAt' | 'expiresAt'>, now: number): number | null {
  const slid = Math.min(now + SESSION_IDLE_MS, session.createdAt + SESSION_MAX_MS)
  return slid - session.expiresAt >= SLIDE_EVERY_MS ? slid : null
}

/**
 * Whether a stored session still counts at `now`: not expired, and made with the admin token in force (its tag,
 * see `sessionTagOf`), so a new admin token ends every session made with the old one, on every instance.
 */
export function sessionIsLive(expiresAt: number, tokenTag: string, now: number, currentTag: string): boolean {
  return expiresAt > now && safeEqual(tokenTag, currentTag)
}

/** What a cookie may carry at most before it is not even looked up. */
export const MAX_SESSION_ID_CHARS = 200
