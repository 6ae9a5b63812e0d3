import type { SQL } from 'bun'
import { LOCK_NAMESPACE } from './locks'

/**
 * A secret made at a first start (the default org's key, a generated admin token) counts as "not shown" until the
 * instance that made it has printed it; SQLite's store replaces a not-shown secret at the next start, because only a
 * start that died before printing leaves one. With several instances starting together on one database, another
 * instance's not-shown secret may be being printed right now. So the maker takes a session advisory lock (the
 * claim) in the transaction that stores the secret: an instance that finds the claim held by a live session leaves
 * the secret alone. A maker that dies loses its connections and with them the claim, and the next start replaces
 * the secret as SQLite's does.
 *
 * The claim stays on whichever pooled connection took it until the pool closes (a pool cannot send the unlock to
 * one connection), which is harmless: it is only looked at while a secret is not shown, and the maker marks it
 * shown right after printing. No connection is set aside for it, so closing the pool never waits on it.
 */
export class PrintClaim {
  private mine = false

  /** `decideLock` serialises the decisions (a transaction lock); `claimLock` is the claim (a session lock). */
  constructor(
    private readonly sql: SQL,
    private readonly decideLock: number,
    private readonly claimLock: number,
  ) {}

  /**
   * Runs `decide` in a transaction under the decision lock. `claimedElsewhere`: another live session holds the
   * claim. The claim is taken when `decide` made a secret to print (`claim: true`).
   */
  async decide<T>(decide: (tx: SQL, claimedElsewhere: boolean) => Promise<{ value: T; claim: boolean }>): Promise<T> {
    const { value, claim } = await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${this.decideLock}::int)`
      let elsewhere = false
      if (!this.mine) {
        // (advisory locks of two int4 keys show as classid, objid, objsubid = 2)
        const [row] = await tx`SELECT EXISTS (
            SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = ${LOCK_NAMESPACE} AND objid::bigint = ${this.claimLock}
          ) AS held`
        elsewhere = (row as { held: boolean }).held
      }
      const decided = await decide(tx, elsewhere)
      if (decided.claim && !this.mine) await tx`SELECT pg_try_advisory_lock(${LOCK_NAMESPACE}::int, ${this.claimLock}::int)`
      return decided
    })
    if (claim) this.mine = true
    return value
  }

  /** The secret has been printed (or replaced by a configured or reset one): this instance no longer claims it. */
  release(): void {
    this.mine = false
  }
}
