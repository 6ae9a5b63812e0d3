import type { Rule, RoutingVersion } from '../routing/schema'

/** What the proxy asks of routing on every request, answered from memory. */
export interface RoutingInForce {
  /** The enabled rules of an org, or null when there are none (the proxy's fast path). */
  rulesOf(org: string): readonly Rule[] | null
}

/** The newest routing version of each org, in memory: filled by a store after reading, and after its own saves. */
export class RoutingMemory implements RoutingInForce {
  private inForce = new Map<string, RoutingVersion>()

  replace(newest: ReadonlyMap<string, RoutingVersion>): void {
    this.inForce = new Map(newest)
  }

  set(org: string, version: RoutingVersion): void {
    this.inForce.set(org, version)
  }

  rulesOf(org: string): readonly Rule[] | null {
    const v = this.inForce.get(org)
    return v && v.rules.length ? v.rules : null
  }
}
