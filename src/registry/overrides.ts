import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { LIMITS } from '../limits'
import type { ProviderId } from '../domain'
import { PROVIDER_IDS, type Price } from './schema'

/** Generous, but finite: `1e400` in JSON reads as Infinity, and a typo of a few zeros should not price a request at $1000s. */
const UsdPerMillion = Type.Number({ minimum: 0, maximum: 100_000, description: 'USD per 1M tokens' })

/** The registry's price shape (src/registry/schema.ts) without tiers: what an admin adds for one model. */
export const OverridePrice = Type.Object(
  {
    input: UsdPerMillion,
    cachedInput: Type.Optional(UsdPerMillion),
    cacheWrite: Type.Optional(UsdPerMillion),
    cacheWrite1h: Type.Optional(UsdPerMillion),
    output: UsdPerMillion,
  },
  { additionalProperties: false },
)

/** `PUT /api/registry/overrides/:provider/:model` */
export const OverrideBody = Type.Object({ price: OverridePrice }, { additionalProperties: false })

const PROVIDER_SET: ReadonlySet<string> = new Set(PROVIDER_IDS)
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Every problem of an override, as `where: what` lines: the provider and model of the URL, then the body.
 * @example overrideProblems('groq', 'm', { price: { input: -1 } }) // ['/price/input: Expected number to be greater or equal to 0', '/price/output: Expected required property', ...]
 */
export function overrideProblems(provider: string, model: string, body: unknown): string[] {
  const problems: string[] = []
  if (!PROVIDER_SET.has(provider)) problems.push(`provider: expected one of ${PROVIDER_IDS.join(' ')}, got ${JSON.stringify(provider.slice(0, 40))}`)
  if (model.length === 0 || model.length > LIMITS.model) problems.push(`model: expected 1 to ${LIMITS.model} characters`)
  else if (CONTROL.test(model)) problems.push('model: must not contain control characters')
  for (const e of Value.Errors(OverrideBody, body)) problems.push(`${e.path || '/'}: ${e.message}`)
  return problems
}

/** Whether a stored provider id is one Lectr knows. */
export function isProviderId(provider: string): provider is ProviderId {
  return PROVIDER_SET.has(provider)
}

/** A stored override's price (JSON), or null when it is not a valid one. */
export function parseOverridePrice(text: string): Price | null {
  try {
    const value: unknown = JSON.parse(text)
    return Value.Check(OverridePrice, value) ? (value as Price) : null
  } catch {
    return null
  }
}
