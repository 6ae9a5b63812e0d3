import type { SQL } from 'bun'
import { generateSecret, hashSecret } from '../../auth/secrets'
import type { AdminTokenRepository } from '../settings'
import { recordChange } from './changes'
import { ADMIN_TOKEN_CLAIM, ADMIN_TOKEN_LOCK } from './locks'
import { PrintClaim } from './print-claim'

/** meta keys, as in SQLite */
const UNSHOWN = 'admin_token_unshown'
const HASH = 'admin_token_hash'

/**
 * The admin token's hash and its "not printed yet" mark in `meta`, as SqliteAdminToken. A generated token is
 * claimed until printed (print-claim.ts), so instances starting together print one token, not one each. A new hash
 * records a change ('admin-token'), so other instances read it again (`storedHash`) and end sessions of the old one.
 */
export class PostgresAdminToken implements AdminTokenRepository {
  private readonly printClaim: PrintClaim

  constructor(private readonly sql: SQL) {
    this.printClaim = new PrintClaim(sql, ADMIN_TOKEN_LOCK, ADMIN_TOKEN_CLAIM)
  }

  async resolve(configured: string | null): Promise<{ hash: string; generated: string | null }> {
    if (configured) {
      const hash = hashSecret(configured)
      await this.sql.begin(async (tx) => {
        const changed = await storeHash(tx, hash)
        await tx`DELETE FROM meta WHERE key = ${UNSHOWN}`
        if (changed) await recordChange(tx, 'admin-token')
      })
      this.printClaim.release()
      return { hash, generated: null }
    }
    return await this.printClaim.decide<{ hash: string; generated: string | null }>(async (tx, claimedElsewhere) => {
      const stored = await readHash(tx)
      const [unshown] = await tx`SELECT 1 AS one FROM meta WHERE key = ${UNSHOWN}`
      // Not shown yet, but another live instance generated it and is printing it: it is not ours to replace.
      if (stored && (!unshown || claimedElsewhere)) return { value: { hash: stored, generated: null }, claim: false }
      const token = generateSecret('admin')
      const hash = hashSecret(token)
      await storeHash(tx, hash)
      await tx`INSERT INTO meta (key, value) VALUES (${UNSHOWN}, '1') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`
      await recordChange(tx, 'admin-token')
      return { value: { hash, generated: token }, claim: true }
    })
  }

  async markShown(): Promise<void> {
    await this.sql`DELETE FROM meta WHERE key = ${UNSHOWN}`
    this.printClaim.release()
  }

  async reset(): Promise<string> {
    const token = generateSecret('admin')
    await this.sql.begin(async (tx) => {
      await storeHash(tx, hashSecret(token))
      await tx`DELETE FROM meta WHERE key = ${UNSHOWN}`
      await recordChange(tx, 'admin-token')
    })
    this.printClaim.release()
    return token
  }

  async storedHash(): Promise<string | null> {
    return await readHash(this.sql)
  }
}

async function readHash(sql: SQL): Promise<string | null> {
  const [row] = await sql`SELECT value FROM meta WHERE key = ${HASH}`
  return (row as { value: string } | undefined)?.value ?? null
}

/** true when the stored hash was another (or none) */
async function storeHash(tx: SQL, hash: string): Promise<boolean> {
  const rows = await tx`INSERT INTO meta (key, value) VALUES (${HASH}, ${hash})
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE meta.value IS DISTINCT FROM EXCLUDED.value RETURNING key`
  return rows.length > 0
}
