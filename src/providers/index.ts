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
 * file beside this one (copy groq.ts) and its name in this line.
 */
export const PROVIDER_LIST = [openai, anthropic, groq, gemini, azure] as const

export type ProviderId = (typeof PROVIDER_LIST)[number]['id']
export const PROVIDER_IDS = providerIds(PROVIDER_LIST)

/** Every provider by id. */
export const PROVIDERS = Object.fromEntries(PROVIDER_LIST.map((p) => [p.id, p])) as Readonly<Record<ProviderId, Provider>>

/** Every provider by id, for ids that come from outside (a header, the database): unknown ones are simply absent. */
export const PROVIDER_BY_NAME: ReadonlyMap<string, Provider> = providersByName(PROVIDER_LIST)

/** The `baseUrls.<id>` rows of config.ts's SETTINGS. */
export const BASE_URL_SETTINGS = baseUrlSettings(PROVIDER_LIST)

/** The environment variable behind each `baseUrls` setting, by provider id. */
export const OVERRIDE_ENV = overrideEnvs(PROVIDER_LIST)
