import type { Server } from 'bun'
import type { AdminTokenThrottle } from '../auth/throttle'
import { tokenGate } from '../auth/token-gate'

const MESSAGES = {
  tooMany: 'Too many wrong admin tokens from this address.',
  unauthorized: 'Send the admin token as Authorization: Bearer <token>.',
}

/** The admin API's gate: `Authorization: Bearer <admin token>`, throttled per client address (see tokenGate). */
export function adminGate(
  deps: { adminTokenHash: () => string; tokenThrottle: AdminTokenThrottle },
  request: Request,
  server: Server<unknown> | null | undefined,
): Response | undefined {
  return tokenGate(deps.tokenThrottle, [deps.adminTokenHash()], MESSAGES, request, server)
}
