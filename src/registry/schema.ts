import { Type, type Static } from '@sinclair/typebox'

/** Providers Lectr can forward to. A new OpenAI-compatible provider is one file in src/providers and one entry here. */
export const PROVIDER_IDS = ['openai', 'anthropic', 'groq', 'gemini', 'azure'] as const
export type ProviderId = (typeof PROVIDER_IDS)[number]

export const TASKS = ['classification', 'extraction', 'summarisation', 'generation', 'reasoning'] as const
export type Task = (typeof TASKS)[number]

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

export const ModelEntry = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    provider: Type.Union(PROVIDER_IDS.map((p) => Type.Literal(p))),
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
export type ModelEntry = Static<typeof ModelEntry>

export const ProviderEntry = Type.Object(
  {
    id: Type.Union(PROVIDER_IDS.map((p) => Type.Literal(p))),
    /** Everything before the OpenAI path, `/v1` included. Absent for azure (per org). */
    baseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    /** Model-id prefixes for detection of models not listed in `models`. */
    prefixes: Type.Array(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)
export type ProviderEntry = Static<typeof ProviderEntry>

export const RegistryFile = Type.Object(
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
    providers: Type.Array(ProviderEntry),
    models: Type.Array(ModelEntry),
  },
  { additionalProperties: false },
)
export type RegistryFile = Static<typeof RegistryFile>

/** A validated registry with its lookup tables, as the proxy uses it. */
export interface Registry {
  readonly file: RegistryFile
  readonly version: string
  readonly longPromptTokens: number
  readonly minRequests: number
  /** model id -> entry (ids are unique across providers in a valid file) */
  readonly models: ReadonlyMap<string, ModelEntry>
  readonly providers: ReadonlyMap<ProviderId, ProviderEntry>
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
