/**
 * Slows down guessing the admin token. Each client address gets a few free failures, then every further failure
 * locks that address out for twice as long as the last (1 s, 2 s, 4 s ... up to 5 min). A second, global counter
 * does the same across all addresses with a higher allowance and a lower ceiling (30 s), so many addresses
 * together cannot guess faster. While locked out an attempt is refused before the token is even compared, and a
 * counter is forgotten 15 minutes after its last failure. A correct sign-in clears its address's counter.
 *
 * The admin token is long and random, so this is defence in depth: it turns an online guess into years of work
 * and keeps a scripted attack from filling the logs.
 */

export interface ThrottleLimits {
  /** failures allowed before the first lock-out */
  free: number
  /** the first lock-out */
  baseMs: number
  /** the longest lock-out */
  maxMs: number
}

export const PER_ADDRESS: ThrottleLimits = { free: 5, baseMs: 1000, maxMs: 5 * 60_000 }
export const GLOBAL: ThrottleLimits = { free: 50, baseMs: 1000, maxMs: 30_000 }
/** a counter with no failure for this long starts over */
export const FORGET_AFTER_MS = 15 * 60_000
/** addresses remembered at most (the oldest are dropped first) */
const MAX_TRACKED = 10_000

interface Counter {
  failures: number
  lastFailure: number
  lockedUntil: number
}

/** How long the lock-out after the n-th failure lasts (0 while failures are free). */
export function lockoutMs(failures: number, limits: ThrottleLimits): number {
  if (failures <= limits.free) return 0
  return Math.min(limits.baseMs * 2 ** Math.min(failures - limits.free - 1, 30), limits.maxMs)
}

/**
 * @example
 * const throttle = new SigninThrottle(() => Date.now())
 * const gate = throttle.check(ip)
 * if (!gate.allowed) return tooMany(gate.retryAfterMs)
 * if (tokenOk) throttle.success(ip)
 * else throttle.failure(ip)
 */
export class SigninThrottle {
  private byAddress = new Map<string, Counter>()
  private global: Counter = { failures: 0, lastFailure: 0, lockedUntil: 0 }

  constructor(
    private now: () => number,
    private limits: { address: ThrottleLimits; global: ThrottleLimits } = { address: PER_ADDRESS, global: GLOBAL },
  ) {}

  /** Whether an attempt from `address` may be checked now; if not, how long until it may. */
  check(address: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now()
    const own = this.current(address, now)
    const wait = Math.max(own ? own.lockedUntil - now : 0, this.fresh(this.global, now).lockedUntil - now)
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true }
  }

  failure(address: string): void {
    const now = this.now()
    let own = this.current(address, now)
    if (!own) {
      if (this.byAddress.size >= MAX_TRACKED) this.byAddress.delete(this.byAddress.keys().next().value!)
      own = { failures: 0, lastFailure: now, lockedUntil: 0 }
    }
    // Re-inserted so the map's order stays "least recently failed first" for eviction.
    this.byAddress.delete(address)
    this.byAddress.set(address, own)
    bump(own, now, this.limits.address)
    bump(this.fresh(this.global, now), now, this.limits.global)
  }

  success(address: string): void {
    this.byAddress.delete(address)
  }

  /** The address's counter, or undefined when it has none (or it was forgotten). */
  private current(address: string, now: number): Counter | undefined {
    const c = this.byAddress.get(address)
    if (c && now - c.lastFailure > FORGET_AFTER_MS && now >= c.lockedUntil) {
      this.byAddress.delete(address)
      return undefined
    }
    return c
  }

  private fresh(c: Counter, now: number): Counter {
    if (c.failures > 0 && now - c.lastFailure > FORGET_AFTER_MS && now >= c.lockedUntil) {
      c.failures = 0
      c.lockedUntil = 0
    }
    return c
  }
}

function bump(c: Counter, now: number, limits: ThrottleLimits): void {
  c.failures++
  c.lastFailure = now
  const lock = lockoutMs(c.failures, limits)
  if (lock > 0) c.lockedUntil = now + lock
}
