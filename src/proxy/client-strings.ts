import { cutTo, LIMITS } from '../limits'

/**
 * The `X-Lectr-Feature` tag as recorded: cut to `LIMITS.feature`. Like an unknown task, a long tag never blocks
 * the request; the answer says it was cut.
 */
export function featureTag(header: string | null): { value: string | null; warning: string | null } {
  if (!header) return { value: null, warning: null }
  if (header.length <= LIMITS.feature) return { value: header, warning: null }
  return {
    value: cutTo(header, LIMITS.feature),
    warning: `X-Lectr-Feature is ${header.length} characters long; recorded cut to its first ${LIMITS.feature}`,
  }
}

/** The message of `lectr_model_too_long`; names the limit, never echoes the model. */
export function modelTooLongMessage(length: number): string {
  return `The "model" field is ${length} characters long; Lectr accepts model names of at most ${LIMITS.model} characters. Nothing was sent upstream.`
}

/** Every warning for `X-Lectr-Warning`, in one line; null when there is none. */
export function joinWarnings(...warnings: (string | null)[]): string | null {
  const present = warnings.filter((w): w is string => !!w)
  return present.length ? present.join('; ') : null
}
