import { openAiCompatible } from './openai-compatible'

/** Usage in streams only with `stream_options.include_usage`. */
export const openai = openAiCompatible({
  id: 'openai',
  label: 'OpenAI',
  baseUrl: 'https://api.openai.com/v1',
  prefixes: [
    'gpt-', 'chatgpt-', 'o1', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8', 'o9', 'ft:', 'text-embedding-', 'text-moderation-',
    'omni-moderation-', 'davinci-', 'babbage-', 'dall-e-', 'whisper-', 'tts-', 'computer-use-', 'codex-',
  ],
  streamUsage: 'ask',
  serves: ['chat/completions', 'completions', 'embeddings', 'responses'],
  baseUrlHelp: "override OpenAI's upstream base URL (with /v1)",
})
