import type { Endpoint } from '../usage/types'

/** The endpoint a client path (after `/v1`) names; anything else is `other` and forwarded unchanged. */
export function endpointOf(path: string): Endpoint {
  switch (path.endsWith('/') ? path.slice(0, -1) : path) {
    case '/chat/completions':
      return 'chat/completions'
    case '/completions':
      return 'completions'
    case '/embeddings':
      return 'embeddings'
    case '/responses':
      return 'responses'
    case '/messages':
      return 'messages'
    case '/messages/count_tokens':
      return 'messages/count_tokens'
    default:
      return 'other'
  }
}

/** Endpoints whose body must be a JSON object (Lectr reads `model` and `stream` from it). */
export function requiresJson(endpoint: Endpoint): boolean {
  return endpoint !== 'other'
}
