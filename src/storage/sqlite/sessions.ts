import type { Database } from 'bun:sqlite'
import { hashSecret } from '../../auth/secrets'
import { MAX_SESSION_ID_CHARS, newSession, randomToken, sessionIsLive, slidExpiry, type Session } from '../../auth/sessions'
import type { SessionRepository } from '../settings'

interface SessionRow {
  id_hash: string
  csrf: string
  org_id: string | null
  created_at: number
  expires_at: number
  token_tag: string
}

/** Dashboard sessions in the `sessions` table. */
export class SqliteSessions implements SessionRepository {
  constructor(private db: Database) {}

  async create(orgId: string | null, now: number, tokenTag: string): Promise<{ id: string; session: Session }> {
    this.db.query('DELETE FROM sessions WHERE expires_at <= ? OR token_tag <> ?').run(now, tokenTag)
    const id = randomToken()
    const session = newSession(id, orgId, now)
    this.db
      .query('INSERT INTO sessions (id_hash, csrf, org_id, created_at, expires_at, token_tag) VALUES (?, ?, ?, ?, ?, ?)')
      .run(session.idHash, session.csrf, session.orgId, session.createdAt, session.expiresAt, tokenTag)
    return { id, session }
  }

  async find(id: string | null | undefined, now: number, tokenTag: string): Promise<Session | null> {
    if (!id || id.length > MAX_SESSION_ID_CHARS) return null
    const row = this.db.query('SELECT * FROM sessions WHERE id_hash = ?').get(hashSecret(id)) as SessionRow | null
    if (!row) return null
    if (!sessionIsLive(row.expires_at, row.token_tag, now, tokenTag)) {
      this.db.query('DELETE FROM sessions WHERE id_hash = ?').run(row.id_hash)
      return null
    }
    const slid = slidExpiry({ createdAt: row.created_at, expiresAt: row.expires_at }, now)
    if (slid !== null) this.db.query('UPDATE sessions SET expires_at = ? WHERE id_hash = ?').run(slid, row.id_hash)
    return { idHash: row.id_hash, csrf: row.csrf, orgId: row.org_id, createdAt: row.created_at, expiresAt: slid ?? row.expires_at }
  }

  async setOrg(idHash: string, orgId: string): Promise<void> {
    this.db.query('UPDATE sessions SET org_id = ? WHERE id_hash = ?').run(orgId, idHash)
  }

  async delete(idHash: string): Promise<void> {
    this.db.query('DELETE FROM sessions WHERE id_hash = ?').run(idHash)
  }

  async deleteAll(): Promise<number> {
    return this.db.query('DELETE FROM sessions').run().changes
  }
}
