import type { Database } from 'bun:sqlite'
import type { Rule, RoutingVersion } from './schema'

/**
 * Each org's routing rules, every version kept (append-only `routing_versions`). The newest version of each org is
 * held in memory, read once at start and replaced on every save or restore, so the proxy never reads the database
 * for it. Validation is the caller's (validate.ts): this stores what it is given.
 */
export class RoutingStore {
  private inForce = new Map<string, RoutingVersion>()

  constructor(
    private db: Database,
    private clock: () => Date = () => new Date(),
  ) {
    const rows = db
      .query(
        `SELECT r.org_id, r.version, r.rules, r.created_at FROM routing_versions r
         WHERE r.version = (SELECT MAX(version) FROM routing_versions WHERE org_id = r.org_id)`,
      )
      .all() as { org_id: string; version: number; rules: string; created_at: string }[]
    for (const r of rows) this.inForce.set(r.org_id, { version: r.version, rules: JSON.parse(r.rules), updatedAt: r.created_at })
  }

  /** The rules in force for an org (no rules: an empty list, version 0). Never touches the database. */
  current(org: string): RoutingVersion | null {
    return this.inForce.get(org) ?? null
  }

  /** The enabled rules of an org, or null when there are none (the proxy's fast path). */
  rulesOf(org: string): readonly Rule[] | null {
    const v = this.inForce.get(org)
    return v && v.rules.length ? v.rules : null
  }

  /** Saves a new version; returns its number. */
  save(org: string, rules: Rule[]): RoutingVersion {
    const createdAt = this.clock().toISOString()
    const saved = this.db.transaction(() => {
      const top = this.db.query('SELECT MAX(version) AS v FROM routing_versions WHERE org_id = ?').get(org) as { v: number | null }
      const version = (top.v ?? 0) + 1
      this.db.query('INSERT INTO routing_versions (org_id, version, rules, created_at) VALUES (?, ?, ?, ?)').run(org, version, JSON.stringify(rules), createdAt)
      return version
    })()
    const v: RoutingVersion = { version: saved, rules, updatedAt: createdAt }
    this.inForce.set(org, v)
    return v
  }

  /** Every version of an org, newest first. */
  versions(org: string): RoutingVersion[] {
    const rows = this.db.query('SELECT version, rules, created_at FROM routing_versions WHERE org_id = ? ORDER BY version DESC').all(org) as {
      version: number
      rules: string
      created_at: string
    }[]
    return rows.map((r) => ({ version: r.version, rules: JSON.parse(r.rules), updatedAt: r.created_at }))
  }

  /** Saves an old version's rules as the newest; null when there is no such version. */
  restore(org: string, version: number): RoutingVersion | null {
    const row = this.db.query('SELECT rules FROM routing_versions WHERE org_id = ? AND version = ?').get(org, version) as { rules: string } | null
    return row ? this.save(org, JSON.parse(row.rules)) : null
  }
}
