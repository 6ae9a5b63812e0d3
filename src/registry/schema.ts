import { Type, type Static } from '@sinclair/typebox'
import { TASKS, type ProviderId, type Task } from '../domain'
import { PROVIDER_IDS } from '../providers'

/** Providers Lectr can forward to: src/providers/index.ts is the only list. Re-exported for the many that read them here. */
export { PROVIDER_IDS }

// Transitional: these moved to src/domain.ts; re-exported while parallel branches and the tests still import them here.
export { TASKS, type ProviderId, type Task }

/** YYYY-MM-DD with a real month and day number (TypeBox's `format: 'date'` needs a format registry). */
const CALENDAR_DATE = '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$'

const UsdPerMillion = Type.Number({ minimum: 0, description: 'USD per 1M tokens' })

export const PriceTier = Type.Object(
  {
    aboveInputTokens: Type.Integer({ minimum: 1, description: 'applies when a request has more input tokens than this' }),
    input: UsdPerMillion,
    cachedInput: Type.Optional(UsdPerMillion),
    cacheWrite: Type.Optional(UsdPerMillion),
    cacheWrite1h: Type.Optional(UsdPerMillion),
    output: UsdPerMillion,
  },
  { additionalProperties: false },
)

export const Price = Type.Object(
  {
    input: UsdPerMillion,
    /** Absent: cached input is charged at the input price. */
    cachedInput: Type.Optional(UsdPerMillion),
    /** Input written to a cache (Anthropic's 5-minute writes, and writes without a split). Absent: the input price. */
    cacheWrite: Type.Optional(UsdPerMillion),
    /** Input written to Anthropic's 1-hour cache. Absent: the input price. */
    cacheWrite1h: Type.Optional(UsdPerMillion),
    output: UsdPerMillion,
    tiers: Type.Optional(Type.Array(PriceTier)),
  },
  { additionalProperties: false },
)
export type Price = Static<typeof Price>

/**
 * The registry file's schema for a list of provider ids: a provider id anywhere in a file must be one of them.
 * Lectr uses it for PROVIDER_IDS; a test can build it for a list with one more provider.
 */
export function registrySchemas<const Id extends string>(ids: readonly Id[]) {
  const ProviderName = Type.Union(ids.map((p) => Type.Literal(p)))
  const ModelEntry = Type.Object(
    {
      id: Type.String({ minLength: 1 }),
      provider: ProviderName,
      price: Type.Union([Price, Type.Null()]),
      downgrade: Type.Optional(
        Type.Object(
          {
            conservative: Type.Optional(Type.String({ minLength: 1 })),
            aggressive: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
      ),
      routingTarget: Type.Optional(Type.Boolean()),
      /** The provider's official page the price was read from. */
      source: Type.Optional(Type.String({ pattern: '^https?://', description: 'official page the price came from' })),
      /** The day the price was last checked against `source`. */
      checked: Type.Optional(Type.String({ pattern: CALENDAR_DATE, description: 'YYYY-MM-DD' })),
      /** The provider no longer serves the model; kept so old traffic and events stay priced. */
      retired: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  )

  const ProviderEntry = Type.Object(
    {
      id: ProviderName,
      /** Everything before the OpenAI path, `/v1` included. Absent: the provider module's (azure: per org). */
      baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
      /** Model-id prefixes for detection of models not listed in `models`. Absent: the provider module's. */
      prefixes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    },
    { additionalProperties: false },
  )

  const RegistryFile = Type.Object(
    {
      version: Type.String({ minLength: 1 }),
      settings: Type.Optional(
        Type.Object(
          {
            /** Average input tokens per request above which a prompt is "long" for recommendations. */
            longPromptTokens: Type.Optional(Type.Integer({ minimum: 1 })),
            /** Requests a group needs in the window before anything is recommended. */
            minRequests: Type.Optional(Type.Integer({ minimum: 1 })),
          },
          { additionalProperties: false },
        ),
      ),
      /** Overrides of the providers' own base URLs and prefixes (src/providers); any or all may be left out. */
      providers: Type.Optional(Type.Array(ProviderEntry)),
      models: Type.Array(ModelEntry),
    },
    { additionalProperties: false },
  )
  return { ModelEntry, ProviderEntry, RegistryFile }
}

export const { ModelEntry, ProviderEntry, RegistryFile } = registrySchemas(PROVIDER_IDS)
export type ModelEntry = Static<typeof ModelEntry>
export type ProviderEntry = Static<typeof ProviderEntry>
export type RegistryFile = Static<typeof RegistryFile>

/** A provider as the registry in force has it: the module's defaults, with the file's entry (if any) over them. */
export interface ResolvedProvider {
  readonly id: ProviderId
  /** absent only for azure, whose endpoint is per org */
  readonly baseUrl?: string
  readonly prefixes: readonly string[]
}

/** A validated registry with its lookup tables, as the proxy uses it. */
export interface Registry {
  readonly file: RegistryFile
  readonly version: string
  readonly longPromptTokens: number
  readonly minRequests: number
  /** model id -> entry (ids are unique across providers in a valid file) */
  readonly models: ReadonlyMap<string, ModelEntry>
  /** every provider of src/providers, in its order, with the file's overrides applied */
  readonly providers: ReadonlyMap<ProviderId, ResolvedProvider>
  /** every (prefix, provider), longest prefix first */
  readonly prefixes: ReadonlyArray<{ prefix: string; provider: ProviderId }>
  /** prices added by an admin, looked up before `models` (src/registry/overlay.ts); absent: none */
  readonly overrides?: PriceOverlay
}

/** The admin's price overrides as pricing reads them. */
export interface PriceOverlay {
  /** `overrideKey(provider, model id)` -> the entry to price with */
  readonly byKey: ReadonlyMap<string, ModelEntry>
  /** the entries of `byKey`: an event priced with one records `version` */
  readonly entries: ReadonlySet<ModelEntry>
  /** `<registry version>+overrides-<8 hex digits of the overrides' hash>` */
  readonly version: string
}
