import type { SQL } from 'bun'
import type { Rule, RoutingVersion } from '../../routing/schema'
import { RoutingMemory } from '../routing-in-force'
import type { RoutingRepository } from '../settings'
import { recordChange } from './changes'
import { ROUTING_LOCK_NAMESPACE } from './locks'
import { SerialRefresh } from './serial-refresh'

interface VersionRow {
  version: number
  rules: string
  created_at: string
}

const versionOf = (r: VersionRow): RoutingVersion => ({ version: Number(r.version), rules: JSON.parse(r.rules), updatedAt: r.created_at })

/** Every routing version of every org in `routing_versions`, as SqliteRouting; the newest of each in memory. */
export class PostgresRouting implements RoutingRepository {
  readonly inForce = new RoutingMemory()
  private readonly reload: SerialRefresh

  constructor(
    private readonly sql: SQL,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.reload = new SerialRefresh(async () => {
      const rows = (await this.sql`SELECT DISTINCT ON (org_id) org_id, version, rules, created_at FROM routing_versions
        ORDER BY org_id, version DESC`) as (VersionRow & { org_id: string })[]
      const newest = new Map(rows.map((r) => [r.org_id, versionOf(r)]))
      return () => this.inForce.replace(newest)
    })
  }

  /** Reads the newest version of every org again into `inForce`. */
  load(): Promise<void> {
    return this.reload.run()
  }

  async current(org: string): Promise<RoutingVersion | null> {
    const [row] = await this.sql`SELECT version, rules, created_at FROM routing_versions WHERE org_id = ${org} ORDER BY version DESC LIMIT 1`
    return row ? versionOf(row as VersionRow) : null
  }

  async save(org: string, rules: Rule[]): Promise<RoutingVersion> {
    return this.saveRules(org, JSON.stringify(rules), rules)
  }

  private async saveRules(org: string, text: string, rules: Rule[]): Promise<RoutingVersion> {
    const createdAt = this.clock().toISOString()
    const version = await this.sql.begin(async (tx) => {
      // Saves of one org from any instance take their turn, each numbering after what the one before committed.
      await tx`SELECT pg_advisory_xact_lock(${ROUTING_LOCK_NAMESPACE}::int, hashtext(${org}))`
      const [row] = await tx`INSERT INTO routing_versions (org_id, version, rules, created_at)
        SELECT ${org}, COALESCE(MAX(version), 0) + 1, ${text}, ${createdAt} FROM routing_versions WHERE org_id = ${org}
        RETURNING version`
      await recordChange(tx, 'routing')
      return Number((row as { version: number }).version)
    })
    const v: RoutingVersion = { version, rules, updatedAt: createdAt }
    this.inForce.set(org, v)
    this.reload.wrote()
    return v
  }

  async versions(org: string): Promise<RoutingVersion[]> {
    const rows = await this.sql`SELECT version, rules, created_at FROM routing_versions WHERE org_id = ${org} ORDER BY version DESC`
    return (rows as VersionRow[]).map(versionOf)
  }

  async restore(org: string, version: number): Promise<RoutingVersion | null> {
    const [row] = await this.sql`SELECT rules FROM routing_versions WHERE org_id = ${org} AND version = ${version}`
    if (!row) return null
    const text = (row as { rules: string }).rules
    return this.saveRules(org, text, JSON.parse(text))
  }
}
