/**
 * Whether a request falls in a rule's canary share: a hash of its event id, in 0..9999, below `percent` × 100.
 * Pure and deterministic, so the same event id always lands in the same arm.
 *
 * @example inCanary('0190a1b2-…', 100) // true
 */
export function inCanary(eventId: string, percent: number): boolean {
  if (percent >= 100) return true
  return Number(Bun.hash.wyhash(eventId) % 10_000n) < percent * 100
}
