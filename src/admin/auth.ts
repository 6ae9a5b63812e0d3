import type { Server } from 'bun'
import { isAdminToken } from '../auth/admin-token'
import { clientAddress, type AdminTokenThrottle } from '../auth/throttle'
import { apiError } from '../http/respond'

/**
 * The admin API's gate: `Authorization: Bearer <admin token>`, throttled per client address. An address that sent
 * too many wrong tokens gets `429` with `Retry-After` (before its token is even compared); a wrong token gets
 * `401` and counts; a request without any token gets `401` and does not count (it guesses nothing). Undefined: in.
 */
export function adminGate(
  deps: { adminTokenHash: () => string; tokenThrottle: AdminTokenThrottle },
  request: Request,
  server: Server<unknown> | null | undefined,
): Response | undefined {
  const address = clientAddress(request, server)
  const gate = deps.tokenThrottle.check(address)
  if (!gate.allowed) {
    const seconds = Math.ceil(gate.retryAfterMs / 1000)
    const res = apiError(429, 'lectr_too_many_attempts', `Too many wrong admin tokens from this address. Try again in ${seconds} s.`)
    res.headers.set('retry-after', String(seconds))
    return res
  }
  const presented = request.headers.get('authorization')
  if (isAdminToken(presented, deps.adminTokenHash())) {
    deps.tokenThrottle.success(address)
    return undefined
  }
  if (presented?.trim()) deps.tokenThrottle.failure(address)
  return apiError(401, 'lectr_unauthorized', 'Send the admin token as Authorization: Bearer <token>.')
}
