import type { Endpoint } from '../domain'

// Transitional: these moved to src/domain.ts; re-exported while parallel branches and the tests still import them here.
export type { Endpoint, Meter, MeterResult, Usage } from '../domain'

/** Anthropic's native Messages API (`/v1/messages`, `/v1/messages/count_tokens`): always Anthropic, its own usage shape. */
export function isMessagesEndpoint(endpoint: Endpoint): boolean {
  return endpoint === 'messages' || endpoint === 'messages/count_tokens'
}
