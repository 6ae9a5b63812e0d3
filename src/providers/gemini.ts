import { openAiCompatible } from './openai-compatible'

/** Gemini's compatibility layer sends cumulative usage on every chunk without being asked. */
export const gemini = openAiCompatible('gemini', 'always')
