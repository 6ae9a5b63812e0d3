import { openAiCompatible } from './openai-compatible'

/** Gemini's compatibility layer sends cumulative usage on every chunk without being asked. */
export const gemini = openAiCompatible({
  id: 'gemini',
  label: 'Google Gemini',
  baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
  prefixes: ['gemini-', 'gemma-', 'text-embedding-004', 'imagen-', 'models/'],
  streamUsage: 'always',
  serves: ['chat/completions', 'embeddings'],
  baseUrlHelp: "override Gemini's upstream base URL",
})
