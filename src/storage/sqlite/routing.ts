import type { Database } from 'bun:sqlite'
import type { Rule, RoutingVersion } from '../../routing/schema'
import { RoutingMemory } from '../routing-in-force'
import type { RoutingRepository } from '../settings'

interface VersionRow {
  version: number
  rules: string
  created_at: string
}

const versionOf = (r: VersionRow): RoutingVersion => ({ version: r.version, rules: JSON.parse(r.rules), updatedAt: r.created_at })

/** Every routing version of every org in the append-only `routing_versions`; the newest of each in memory (`inForce`). */
export class SqliteRouting implements RoutingRepository {
  readonly inForce = new RoutingMemory()

  constructor(
    private db: Database,
    private clock: () => Date = () => new Date(),
  ) {
    this.load()
  }

  /** Reads the newest version of every org again into `inForce`. */
  load(): void {
    const rows = this.db
      .query(
        `SELECT r.org_id, r.version, r.rules, r.created_at FROM routing_versions r
         WHERE r.version = (SELECT MAX(version) FROM routing_versions WHERE org_id = r.org_id)`,
      )
      .all() as (VersionRow & { org_id: string })[]
    this.inForce.replace(new Map(rows.map((r) => [r.org_id, versionOf(r)])))
  }

  async current(org: string): Promise<RoutingVersion | null> {
    const row = this.db.query('SELECT version, rules, created_at FROM routing_versions WHERE org_id = ? ORDER BY version DESC LIMIT 1').get(org) as VersionRow | null
    return row ? versionOf(row) : null
  }

  async save(org: string, rules: Rule[]): Promise<RoutingVersion> {
    return this.saveNow(org, rules)
  }

  private saveNow(org: string, rules: Rule[]): RoutingVersion {
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

  async versions(org: string): Promise<RoutingVersion[]> {
    const rows = this.db.query('SELECT version, rules, created_at FROM routing_versions WHERE org_id = ? ORDER BY version DESC').all(org) as VersionRow[]
    return rows.map(versionOf)
  }

  async restore(org: string, version: number): Promise<RoutingVersion | null> {
    const row = this.db.query('SELECT rules FROM routing_versions WHERE org_id = ? AND version = ?').get(org, version) as { rules: string } | null
    return row ? this.saveNow(org, JSON.parse(row.rules)) : null
  }
}
