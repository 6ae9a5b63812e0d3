import type { Server } from 'bun'
import { apiError } from '../http/respond'
import { isAdminToken } from './admin-token'
import { clientAddress, type AdminTokenThrottle } from './throttle'

/**
 * A bearer-token gate throttled per client address (the admin API's, and /metrics'): an address that sent too many
 * wrong tokens gets `429` with `Retry-After` (before its token is even compared); a wrong token gets `401` and
 * counts; a request without any token gets `401` and does not count (it guesses nothing). Every hash in `hashes` is
 * compared, whichever matches, so the time taken says nothing about which token it was. Undefined: in.
 */
export function tokenGate(
  throttle: AdminTokenThrottle,
  hashes: readonly string[],
  messages: { tooMany: string; unauthorized: string },
  request: Request,
  server: Server<unknown> | null | undefined,
): Response | undefined {
  const address = clientAddress(request, server)
  const gate = throttle.check(address)
  if (!gate.allowed) {
    const seconds = Math.ceil(gate.retryAfterMs / 1000)
    const res = apiError(429, 'lectr_too_many_attempts', `${messages.tooMany} Try again in ${seconds} s.`)
    res.headers.set('retry-after', String(seconds))
    return res
  }
  const presented = request.headers.get('authorization')
  let matched = false
  for (const hash of hashes) if (isAdminToken(presented, hash)) matched = true
  if (matched) {
    throttle.success(address)
    return undefined
  }
  if (presented?.trim()) throttle.failure(address)
  return apiError(401, 'lectr_unauthorized', messages.unauthorized)
}
