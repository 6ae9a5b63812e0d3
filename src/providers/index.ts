import type { ProviderId } from '../registry/schema'
import { anthropic } from './anthropic'
import { azure } from './azure'
import { gemini } from './gemini'
import { groq } from './groq'
import { openai } from './openai'
import type { Provider } from './types'

/** Every provider by id. Adding one: a file beside this one, a line here, and its id in PROVIDER_IDS. */
export const PROVIDERS: Record<ProviderId, Provider> = { openai, anthropic, groq, gemini, azure }
