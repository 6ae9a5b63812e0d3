/**
 * What Lectr stores beside orgs and events: dashboard sessions, the admin token, the admin's price overrides and
 * each org's routing versions. Interfaces every store implements (SQLite today, see sqlite/settings.ts).
 */
import type { Session } from '../auth/sessions'
import type { PriceOverride } from '../registry/overlay'
import type { Price, ProviderId } from '../registry/schema'
import type { Rule, RoutingVersion } from '../routing/schema'
import type { PriceOverridesInForce } from './overrides-in-force'
import type { RoutingInForce } from './routing-in-force'

/**
 * Dashboard sessions, keyed by the SHA-256 of the id in the cookie (the database never holds a usable id). `now`
 * and `tokenTag` (the tag of the admin token in force, `sessionTagOf`) are the caller's: a session of another tag
 * is no session.
 */
export interface SessionRepository {
  /** A new session (sign-in); also clears out expired ones and those of an earlier admin token. */
  create(orgId: string | null, now: number, tokenTag: string): Promise<{ id: string; session: Session }>
  /** The live session for a cookie value, its expiry pushed forward; null when unknown, expired or of another admin token. */
  find(id: string | null | undefined, now: number, tokenTag: string): Promise<Session | null>
  /** Remembers the org the session looks at (the org switcher). */
  setOrg(idHash: string, orgId: string): Promise<void>
  /** Sign-out. */
  delete(idHash: string): Promise<void>
  /** Sign out everywhere: every session ends. Returns how many there were. */
  deleteAll(): Promise<number>
}

/** The admin token: only its hash is ever stored. */
export interface AdminTokenRepository {
  /**
   * The admin token in force. A configured token replaces the stored hash. With none configured, a token is
   * generated and returned once (`generated`) so the caller can print it, when none is stored or when the stored one
   * was generated but never printed (a start that failed or died before printing; see markShown).
   */
  resolve(configured: string | null): Promise<{ hash: string; generated: string | null }>
  /** The generated admin token has been printed: from now on it is the user's, kept across starts. */
  markShown(): Promise<void>
  /**
   * A new admin token in place of the stored one (`lectr admin-token reset`, for a lost token): returned once to
   * print, only its hash stored. Dashboard sessions end with it (their tag derives from the hash).
   */
  reset(): Promise<string>
  /** The stored admin token hash, or null before the first start. */
  storedHash(): Promise<string | null>
}

/** The admin's price overrides (SPEC section 12); `inForce` is what prices requests. */
export interface PriceOverrideRepository {
  readonly inForce: PriceOverridesInForce
  /** Every override, by provider then model (a stored row that is not valid is left out, and logged). */
  list(): Promise<PriceOverride[]>
  /** Adds or replaces the price of (provider, model); `created` is false when it replaced one. The price must be valid. */
  put(provider: ProviderId, model: string, price: Price): Promise<{ created: boolean; override: PriceOverride }>
  /** Removes the override of (provider, model); false when there was none. */
  remove(provider: string, model: string): Promise<boolean>
}

/** Each org's routing rules, every version kept; validation is the caller's (routing/validate.ts). */
export interface RoutingRepository {
  /** the proxy's synchronous view of the rules in force, updated by this store's writes and by `refresh()` */
  readonly inForce: RoutingInForce
  /** The newest version of an org's rules, or null when it has none. */
  current(org: string): Promise<RoutingVersion | null>
  /** Saves a new version and puts it in force. */
  save(org: string, rules: Rule[]): Promise<RoutingVersion>
  /** Every version of an org, newest first. */
  versions(org: string): Promise<RoutingVersion[]>
  /** Saves an old version's rules as the newest; null when there is no such version. */
  restore(org: string, version: number): Promise<RoutingVersion | null>
}

export interface SettingsStore {
  sessions: SessionRepository
  adminToken: AdminTokenRepository
  priceOverrides: PriceOverrideRepository
  routing: RoutingRepository
  /** Reads the price overrides and routing rules in force again: another process or instance may have changed them. */
  refresh(): Promise<void>
}
