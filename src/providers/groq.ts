import { openAiCompatible } from './openai-compatible'

/** Groq reports usage in `x_groq.usage` on the finish chunk without being asked (older API versions refuse the option). */
export const groq = openAiCompatible('groq', 'always')
