import { LOCK_NAMESPACE } from './migrations'

/**
 * Advisory locks of the orgs and settings stores (see migrations.ts for the namespace and keys 1 and 2): the first
 * start's `default` org and the admin token are made under one lock each, so that instances starting together
 * decide in turn on what the other committed.
 */
export const DEFAULT_ORG_LOCK = 11
export const ADMIN_TOKEN_LOCK = 12
/** session locks held by the instance printing a secret it made at its first start (print-claim.ts) */
export const DEFAULT_KEY_CLAIM = 13
export const ADMIN_TOKEN_CLAIM = 14
export { LOCK_NAMESPACE }
/**
 * Routing saves of one org are serialised by a lock on (this namespace, hashtext(org)): its own namespace, so that
 * an org's hash can never be one of the keys above. Two orgs with one hash only wait for each other.
 */
export const ROUTING_LOCK_NAMESPACE = 0x4c656375 // 'Lecu'
/** re-pricing, one at a time on the database: two re-pricings would update the same events in no set order */
export const REPRICE_LOCK = 15
