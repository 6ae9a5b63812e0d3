import { openAiCompatible } from './openai-compatible'

/**
 * Anthropic's OpenAI SDK compatibility layer: usage in streams only when asked, like OpenAI. Its native Messages
 * API (`messages`, `messages/count_tokens`) goes to the same base URL.
 */
export const anthropic = openAiCompatible({
  id: 'anthropic',
  label: 'Anthropic',
  baseUrl: 'https://api.anthropic.com/v1',
  prefixes: ['claude-'],
  streamUsage: 'ask',
  serves: ['chat/completions', 'messages', 'messages/count_tokens'],
})
