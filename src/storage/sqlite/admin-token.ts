import type { Database } from 'bun:sqlite'
import { generateSecret, hashSecret } from '../../auth/secrets'
import type { AdminTokenRepository } from '../settings'

/** meta key: set while a generated admin token has not been printed yet (its hash is stored, but nobody holds it) */
const UNSHOWN = 'admin_token_unshown'
const HASH = 'admin_token_hash'

/** The admin token's hash and its "not printed yet" mark, in the `meta` table. */
export class SqliteAdminToken implements AdminTokenRepository {
  constructor(private db: Database) {}

  async resolve(configured: string | null): Promise<{ hash: string; generated: string | null }> {
    if (configured) {
      const hash = hashSecret(configured)
      this.db.transaction(() => {
        this.storeHash(hash)
        this.db.query('DELETE FROM meta WHERE key = ?').run(UNSHOWN)
      })()
      return { hash, generated: null }
    }
    const stored = this.storedHashNow()
    const unshown = this.db.query('SELECT 1 FROM meta WHERE key = ?').get(UNSHOWN) !== null
    if (stored && !unshown) return { hash: stored, generated: null }
    const token = generateSecret('admin')
    const hash = hashSecret(token)
    this.db.transaction(() => {
      this.storeHash(hash)
      this.db.query('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(UNSHOWN, '1')
    })()
    return { hash, generated: token }
  }

  async markShown(): Promise<void> {
    this.db.query('DELETE FROM meta WHERE key = ?').run(UNSHOWN)
  }

  async reset(): Promise<string> {
    const token = generateSecret('admin')
    this.db.transaction(() => {
      this.storeHash(hashSecret(token))
      this.db.query('DELETE FROM meta WHERE key = ?').run(UNSHOWN)
    })()
    return token
  }

  async storedHash(): Promise<string | null> {
    return this.storedHashNow()
  }

  private storedHashNow(): string | null {
    return (this.db.query('SELECT value FROM meta WHERE key = ?').get(HASH) as { value: string } | null)?.value ?? null
  }

  private storeHash(hash: string): void {
    this.db.query('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(HASH, hash)
  }
}
