import type { ProviderId } from '../domain'
import { anthropic } from './anthropic'
import { azure } from './azure'
import { baseUrlSettings, overrideEnvs, providerIds, providersByName } from './derive'
import { gemini } from './gemini'
import { groq } from './groq'
import { openai } from './openai'
import type { Provider } from './types'

/**
 * Every provider Lectr can forward to, in the order the dashboard lists them: the only list. The registry schema,
 * the base-URL settings, labels, filters and routing are derived from it. A new OpenAI-compatible provider is a
 * file beside this one (copy groq.ts), its name in this line and its id in src/domain.ts's `ProviderId`.
 */
export const PROVIDER_LIST = [openai, anthropic, groq, gemini, azure] as const

/**
 * The list's ids are src/domain.ts's `ProviderId`, no more and no fewer: the floor spells them out so that it imports
 * nothing, and this line stops the build when the two differ.
 */
type ListedId = (typeof PROVIDER_LIST)[number]['id']
type Holds<T extends true> = T
type SameIds = Holds<[ListedId, ProviderId] extends [ProviderId, ListedId] ? true : false>

export const PROVIDER_IDS = providerIds(PROVIDER_LIST)

/** Every provider by id. */
export const PROVIDERS = Object.fromEntries(PROVIDER_LIST.map((p) => [p.id, p])) as Readonly<Record<ProviderId, Provider>>

/** Every provider by id, for ids that come from outside (a header, the database): unknown ones are simply absent. */
export const PROVIDER_BY_NAME: ReadonlyMap<string, Provider> = providersByName(PROVIDER_LIST)

/** The `baseUrls.<id>` rows of config.ts's SETTINGS. */
export const BASE_URL_SETTINGS = baseUrlSettings(PROVIDER_LIST)

/** The environment variable behind each `baseUrls` setting, by provider id. */
export const OVERRIDE_ENV = overrideEnvs(PROVIDER_LIST)
