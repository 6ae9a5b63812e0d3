import type { Database } from 'bun:sqlite'
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

interface SessionRow {
  id_hash: string
  csrf: string
  org_id: string | null
  created_at: number
  expires_at: number
  token_tag: string
}

/** 32 random bytes, base64url: session ids and CSRF tokens. */
export function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
}

/**
 * Dashboard sessions in the `sessions` table, keyed by the SHA-256 of the id in the cookie. Each session carries
 * the tag of the admin token in force when it was made (`tokenTag`, see `sessionTagOf`); a session whose tag is
 * not the current one is no session, so a new admin token ends every session made with the old one, on every
 * instance that shares the database.
 *
 * @example
 * const sessions = new SessionStore(db, () => Date.now(), () => sessionTagOf(adminTokenHash()))
 * const { id } = sessions.create('default')   // id goes into the cookie, only its hash is stored
 * sessions.find(id)?.csrf
 */
export class SessionStore {
  constructor(
    private db: Database,
    private now: () => number,
    private tokenTag: () => string,
  ) {}

  /** A new session (sign-in); also clears out expired ones and those of an earlier admin token. */
  create(orgId: string | null): { id: string; session: Session } {
    const now = this.now()
    const tag = this.tokenTag()
    this.db.query('DELETE FROM sessions WHERE expires_at <= ? OR token_tag <> ?').run(now, tag)
    const id = randomToken()
    const session: Session = { idHash: hashSecret(id), csrf: randomToken(), orgId, createdAt: now, expiresAt: now + SESSION_IDLE_MS }
    this.db
      .query('INSERT INTO sessions (id_hash, csrf, org_id, created_at, expires_at, token_tag) VALUES (?, ?, ?, ?, ?, ?)')
      .run(session.idHash, session.csrf, session.orgId, session.createdAt, session.expiresAt, tag)
    return { id, session }
  }

  /** The live session for a cookie value, its expiry pushed forward; null when unknown, expired or of another admin token. */
  find(id: string | null | undefined): Session | null {
    if (!id || id.length > 200) return null
    const row = this.db.query('SELECT * FROM sessions WHERE id_hash = ?').get(hashSecret(id)) as SessionRow | null
    if (!row) return null
    const now = this.now()
    if (row.expires_at <= now || !safeEqual(row.token_tag, this.tokenTag())) {
      this.delete(row.id_hash)
      return null
    }
    let expiresAt = row.expires_at
    const slid = Math.min(now + SESSION_IDLE_MS, row.created_at + SESSION_MAX_MS)
    if (slid - expiresAt >= SLIDE_EVERY_MS) {
      expiresAt = slid
      this.db.query('UPDATE sessions SET expires_at = ? WHERE id_hash = ?').run(expiresAt, row.id_hash)
    }
    return { idHash: row.id_hash, csrf: row.csrf, orgId: row.org_id, createdAt: row.created_at, expiresAt }
  }

  /** Remembers the org the session looks at (the org switcher). */
  setOrg(idHash: string, orgId: string): void {
    this.db.query('UPDATE sessions SET org_id = ? WHERE id_hash = ?').run(orgId, idHash)
  }

  /** Sign-out. */
  delete(idHash: string): void {
    this.db.query('DELETE FROM sessions WHERE id_hash = ?').run(idHash)
  }

  /** Sign out everywhere: every session ends. Returns how many there were. */
  deleteAll(): number {
    return endAllSessions(this.db)
  }
}

/** Ends every dashboard session (the dashboard's "Sign out everywhere", `POST /api/sessions/revoke`). */
export function endAllSessions(db: Database): number {
  return db.query('DELETE FROM sessions').run().changes
}
