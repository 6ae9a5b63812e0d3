import type { Endpoint } from '../usage/types'

const KNOWN: Record<string, Endpoint> = {
  '/chat/completions': 'chat/completions',
  '/completions': 'completions',
  '/embeddings': 'embeddings',
  '/responses': 'responses',
}

/** The endpoint a client path (after `/v1`) names; anything else is `other` and forwarded unchanged. */
export function endpointOf(path: string): Endpoint {
  return KNOWN[path.endsWith('/') ? path.slice(0, -1) : path] ?? 'other'
}

/** Endpoints whose body must be a JSON object (Lectr reads `model` and `stream` from it). */
export function requiresJson(endpoint: Endpoint): boolean {
  return endpoint !== 'other'
}
