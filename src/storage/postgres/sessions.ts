import type { SQL } from 'bun'
import { hashSecret } from '../../auth/secrets'
import { MAX_SESSION_ID_CHARS, newSession, randomToken, sessionIsLive, slidExpiry, type Session } from '../../auth/sessions'
import type { SessionRepository } from '../settings'

interface SessionRow {
  id_hash: string
  csrf: string
  org_id: string | null
  /** BIGINT: a string from Bun */
  created_at: string
  expires_at: string
  token_tag: string
}

/**
 * Dashboard sessions in the `sessions` table, as SqliteSessions. Read from the database on every dashboard
 * request, so a sign-in or sign-out on one instance holds on all of them with nothing kept in memory.
 */
export class PostgresSessions implements SessionRepository {
  constructor(private readonly sql: SQL) {}

  async create(orgId: string | null, now: number, tokenTag: string): Promise<{ id: string; session: Session }> {
    await this.sql`DELETE FROM sessions WHERE expires_at <= ${now} OR token_tag <> ${tokenTag}`
    const id = randomToken()
    const session = newSession(id, orgId, now)
    await this.sql`INSERT INTO sessions (id_hash, csrf, org_id, created_at, expires_at, token_tag)
      VALUES (${session.idHash}, ${session.csrf}, ${session.orgId}, ${session.createdAt}, ${session.expiresAt}, ${tokenTag})`
    return { id, session }
  }

  async find(id: string | null | undefined, now: number, tokenTag: string): Promise<Session | null> {
    if (!id || id.length > MAX_SESSION_ID_CHARS) return null
    const [found] = await this.sql`SELECT id_hash, csrf, org_id, created_at, expires_at, token_tag FROM sessions WHERE id_hash = ${hashSecret(id)}`
    if (!found) return null
    const row = found as SessionRow
    const createdAt = Number(row.created_at)
    const expiresAt = Number(row.expires_at)
    if (!sessionIsLive(expiresAt, row.token_tag, now, tokenTag)) {
      await this.sql`DELETE FROM sessions WHERE id_hash = ${row.id_hash}`
      return null
    }
    const slid = slidExpiry({ createdAt, expiresAt }, now)
    if (slid !== null) await this.sql`UPDATE sessions SET expires_at = ${slid} WHERE id_hash = ${row.id_hash}`
    return { idHash: row.id_hash, csrf: row.csrf, orgId: row.org_id, createdAt, expiresAt: slid ?? expiresAt }
  }

  async setOrg(idHash: string, orgId: string): Promise<void> {
    await this.sql`UPDATE sessions SET org_id = ${orgId} WHERE id_hash = ${idHash}`
  }

  async delete(idHash: string): Promise<void> {
    await this.sql`DELETE FROM sessions WHERE id_hash = ${idHash}`
  }

  async deleteAll(): Promise<number> {
    const result = await this.sql`DELETE FROM sessions`
    return result.count
  }
}
