/**
 * Length limits on the strings clients send that Lectr stores (issue 15: ten requests with a 20 MB `model` added
 * 1.2 GB to the database and made the Events page render 601 MB of HTML while every org's requests waited).
 * Lengths are JavaScript string lengths (UTF-16 code units); docs/proxy.md's limits table documents them.
 */
export const LIMITS = {
  /** `model` in a /v1 request body: longer is refused (`lectr_model_too_long`), recorded cut to this */
  model: 256,
  /** `X-Lectr-Feature`: longer never blocks the request; recorded cut to this, with `X-Lectr-Warning` */
  feature: 128,
  /** an org's name (admin API `POST /api/orgs`) */
  orgName: 64,
  /** a key's label (admin API and the dashboard's keys form) */
  keyLabel: 100,
  /** an org's Azure endpoint */
  azureEndpoint: 2048,
  /** what reads and views show at most of a stored string (older databases may hold longer ones) */
  shown: 256,
} as const

/** A surrogate pair's first half: cutting right after it would leave half a character. */
function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

/**
 * `value` cut to at most `max` UTF-16 code units, never in the middle of a surrogate pair.
 * @example cutTo('gpt-4o', 3) // 'gpt'
 */
export function cutTo(value: string, max: number): string {
  if (value.length <= max) return value
  const end = isHighSurrogate(value.charCodeAt(max - 1)) ? max - 1 : max
  return value.slice(0, end)
}

/**
 * A stored string as reads and views show it: whole up to `LIMITS.shown`, else cut with an ellipsis. Only strings
 * stored before the limits existed are ever that long.
 * @example shownString('a'.repeat(300)).length // 257 (256 and '…')
 */
export function shownString(value: string): string
export function shownString(value: string | null): string | null
export function shownString(value: string | null): string | null {
  return value !== null && value.length > LIMITS.shown ? `${cutTo(value, LIMITS.shown)}…` : value
}

/**
 * SQL for a TEXT column read cut (one character over `LIMITS.shown`, so `shownString` still sees it was cut):
 * a huge legacy value is never copied out of SQLite whole.
 */
export function shownColumn(column: string): string {
  return `substr(${column}, 1, ${LIMITS.shown + 1})`
}
