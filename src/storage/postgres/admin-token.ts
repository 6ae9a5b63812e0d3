import type { SQL } from 'bun'
import { generateSecret, hashSecret } from '../../auth/secrets'
import type { AdminTokenRepository } from '../settings'
import { recordChange } from './changes'
import { ADMIN_TOKEN_LOCK, LOCK_NAMESPACE } from './locks'

/** meta keys, as in SQLite */
const UNSHOWN = 'admin_token_unshown'
const HASH = 'admin_token_hash'

/**
 * The admin token's hash and its "not printed yet" mark in `meta`, as SqliteAdminToken. A new hash records a change
 * ('admin-token'), so other instances read it again (`storedHash`) and end sessions of the old token.
 */
export class PostgresAdminToken implements AdminTokenRepository {
  constructor(private readonly sql: SQL) {}

  async resolve(configured: string | null): Promise<{ hash: string; generated: string | null }> {
    if (configured) {
      const hash = hashSecret(configured)
      await this.sql.begin(async (tx) => {
        const changed = await storeHash(tx, hash)
        await tx`DELETE FROM meta WHERE key = ${UNSHOWN}`
        if (changed) await recordChange(tx, 'admin-token')
      })
      return { hash, generated: null }
    }
    return await this.sql.begin(async (tx) => {
      // Instances starting together decide one after the other, each on what the one before committed.
      await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${ADMIN_TOKEN_LOCK}::int)`
      const stored = await readHash(tx)
      const [unshown] = await tx`SELECT 1 AS one FROM meta WHERE key = ${UNSHOWN}`
      if (stored && !unshown) return { hash: stored, generated: null }
      const token = generateSecret('admin')
      const hash = hashSecret(token)
      await storeHash(tx, hash)
      await tx`INSERT INTO meta (key, value) VALUES (${UNSHOWN}, '1') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`
      await recordChange(tx, 'admin-token')
      return { hash, generated: token }
    })
  }

  async markShown(): Promise<void> {
    await this.sql`DELETE FROM meta WHERE key = ${UNSHOWN}`
  }

  async reset(): Promise<string> {
    const token = generateSecret('admin')
    await this.sql.begin(async (tx) => {
      await storeHash(tx, hashSecret(token))
      await tx`DELETE FROM meta WHERE key = ${UNSHOWN}`
      await recordChange(tx, 'admin-token')
    })
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
