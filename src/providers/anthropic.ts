import { openAiCompatible } from './openai-compatible'

/** Anthropic's OpenAI SDK compatibility layer: usage in streams only when asked, like OpenAI. */
export const anthropic = openAiCompatible('anthropic', 'ask')
