let lastMs = -1
let lastIso = ''

/**
 * The current time in ISO 8601, formatted once per millisecond: a busy proxy records several events in the same
 * millisecond, and formatting a date is one of the dearer steps of recording one.
 *
 * @example isoNow() // '2026-11-28T15:04:05.123Z'
 */
export function isoNow(now: number = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now
    lastIso = new Date(now).toISOString()
  }
  return lastIso
}
