import { openAiCompatible } from './openai-compatible'

/** Usage in streams only with `stream_options.include_usage`. */
export const openai = openAiCompatible('openai', 'ask')
