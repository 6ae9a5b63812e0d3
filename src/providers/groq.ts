import { openAiCompatible } from './openai-compatible'

/** Groq reports usage in `x_groq.usage` on the finish chunk without being asked (older API versions refuse the option). */
export const groq = openAiCompatible({
  id: 'groq',
  label: 'Groq',
  baseUrl: 'https://api.groq.com/openai/v1',
  prefixes: [
    'llama-', 'llama3-', 'meta-llama/', 'mixtral-', 'gemma2-', 'qwen-', 'qwen/', 'deepseek-r1-distill-', 'openai/gpt-oss-',
    'moonshotai/', 'groq/', 'compound-', 'whisper-large-', 'distil-whisper-', 'playai-', 'allam-',
  ],
  streamUsage: 'always',
  serves: ['chat/completions'],
})
