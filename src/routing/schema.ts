import { Type, type Static } from '@sinclair/typebox'
import { TASKS } from '../domain'
import { PROVIDER_IDS } from '../registry/schema'

const ENDPOINTS = ['chat/completions', 'completions', 'embeddings', 'responses', 'messages', 'messages/count_tokens', 'other'] as const

/** A list of 1 to 100 strings: any of them matches. */
const AnyOf = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Union>>(item: T) =>
  Type.Array(item, { minItems: 1, maxItems: 100 })

const ProviderName = Type.Union(PROVIDER_IDS.map((p) => Type.Literal(p)))

export const RouteTarget = Type.Object(
  {
    provider: ProviderName,
    /** a registry model id; for Azure, a deployment name */
    model: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
)
export type RouteTarget = Static<typeof RouteTarget>

export const RuleMatch = Type.Object(
  {
    feature: Type.Optional(AnyOf(Type.String({ minLength: 1, maxLength: 256 }))),
    task: Type.Optional(AnyOf(Type.Union(TASKS.map((t) => Type.Literal(t))))),
    provider: Type.Optional(AnyOf(ProviderName)),
    /** as requested; a trailing `*` makes a pattern a prefix */
    model: Type.Optional(AnyOf(Type.String({ minLength: 1, maxLength: 256 }))),
    endpoint: Type.Optional(AnyOf(Type.Union(ENDPOINTS.map((e) => Type.Literal(e))))),
    stream: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type RuleMatch = Static<typeof RuleMatch>

export const Rule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
    enabled: Type.Boolean(),
    match: RuleMatch,
    target: RouteTarget,
    /** the canary's share of matching requests; default 100. Range checked in validate.ts, with a plain message */
    percent: Type.Optional(Type.Number()),
    fallbacks: Type.Optional(Type.Array(RouteTarget, { maxItems: 10 })),
  },
  { additionalProperties: false },
)
export type Rule = Static<typeof Rule>

export const RuleSet = Type.Object({ rules: Type.Array(Rule, { maxItems: 500 }) }, { additionalProperties: false })
export type RuleSet = Static<typeof RuleSet>

/** A rule set in force: the version it was saved as. */
export interface RoutingVersion {
  version: number
  rules: Rule[]
  /** ISO 8601 */
  updatedAt: string
}
