/**
 * Slows down guessing the admin token, at `/api` and at the dashboard sign-in (one throttle for both: they guess
 * the same secret). Each client address gets a few free failures, then every further failure locks that address
 * out for twice as long as the last (1 s, 2 s, 4 s ... up to 5 min). While locked out an attempt is refused
 * before the token is even compared (the right token too, until the wait passes), and a counter is forgotten 15
 * minutes after its last failure. A correct token clears its address's counter.
 *
 * There is no global counter: one that many addresses fill together would let an attacker lock the real admin
 * out (issue 15). Many addresses can therefore guess in parallel; the admin token is 256 random bits, so this is
 * defence in depth that turns an online guess into years of work and keeps a script from filling the logs.
 *
 * The address is the socket's peer (`server.requestIP`), never a header a client can set; IPv6 peers count per
 * /64, which is what one host or one home is given. Memory is bounded: at most MAX_TRACKED addresses, the one
 * whose last failure is oldest dropped first.
 */
import type { Server } from 'bun'
import { isIP } from 'node:net'
import { expandV6 } from '../net/address'

export interface ThrottleLimits {
  /** failures allowed before the first lock-out */
  free: number
  /** the first lock-out */
  baseMs: number
  /** the longest lock-out */
  maxMs: number
}

export const PER_ADDRESS: ThrottleLimits = { free: 5, baseMs: 1000, maxMs: 5 * 60_000 }
/** a counter with no failure for this long starts over */
export const FORGET_AFTER_MS = 15 * 60_000
/** addresses remembered at most (the oldest are dropped first): about 1 MB */
export const MAX_TRACKED = 10_000

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
 * Who a throttle counts an attempt against: an IPv4 address as it is (also when a dual-stack socket reports it
 * IPv4-mapped), an IPv6 address by its /64, anything else (no socket: in-memory tests) as it is.
 *
 * @example throttleKey('2001:db8:1:2::7')   // '2001:db8:1:2::/64'
 * @example throttleKey('::ffff:192.0.2.1')  // '192.0.2.1'
 */
export function throttleKey(address: string): string {
  if (isIP(address) !== 6) return address
  const g = expandV6(address)
  if (!g) return address
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.')
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`
}

/** The client's address: the socket's peer, never a header a client can set. */
export function clientAddress(request: Request, server: Server<unknown> | null | undefined): string {
  return server?.requestIP(request)?.address ?? 'unknown'
}

/**
 * @example
 * const throttle = new AdminTokenThrottle(() => Date.now())
 * const gate = throttle.check(ip)
 * if (!gate.allowed) return tooMany(gate.retryAfterMs)
 * if (tokenOk) throttle.success(ip)
 * else throttle.failure(ip)
 */
export class AdminTokenThrottle {
  /** by throttle key; the map's order is "least recently failed first", for eviction */
  private byAddress = new Map<string, Counter>()

  constructor(
    private now: () => number,
    private limits: ThrottleLimits = PER_ADDRESS,
    private maxTracked = MAX_TRACKED,
  ) {}

  /** Whether an attempt from `address` may be checked now; if not, how long until it may. */
  check(address: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    if (this.byAddress.size === 0) return { allowed: true }
    const now = this.now()
    const wait = (this.current(throttleKey(address), now)?.lockedUntil ?? 0) - now
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true }
  }

  failure(address: string): void {
    const key = throttleKey(address)
    const now = this.now()
    let own = this.current(key, now)
    if (own) this.byAddress.delete(key)
    else {
      own = { failures: 0, lastFailure: now, lockedUntil: 0 }
      while (this.byAddress.size >= this.maxTracked) this.byAddress.delete(this.byAddress.keys().next().value!)
    }
    this.byAddress.set(key, own)
    own.failures++
    own.lastFailure = now
    const lock = lockoutMs(own.failures, this.limits)
    if (lock > 0) own.lockedUntil = now + lock
  }

  success(address: string): void {
    if (this.byAddress.size > 0) this.byAddress.delete(throttleKey(address))
  }

  /** How many addresses are remembered (tests, metrics). */
  get tracked(): number {
    return this.byAddress.size
  }

  /** The address's counter, or undefined when it has none (or it was forgotten). */
  private current(key: string, now: number): Counter | undefined {
    const c = this.byAddress.get(key)
    if (c && now - c.lastFailure > FORGET_AFTER_MS && now >= c.lockedUntil) {
      this.byAddress.delete(key)
      return undefined
    }
    return c
  }
}
