/**
 * Bun's timers on a client connection, as measured on Bun 1.4.5 (test/proxy/read-timeouts.test.ts):
 * - A request head (and a connection that sends nothing) is cut ~10-12 s after the connection opens, whatever
 *   `idleTimeout` says: uWS's own fixed head timeout, with a 4 s tick. Not a setting, because Bun has none.
 * - From the request's dispatch, `server.timeout(req, s)` (else `idleTimeout`) is a deadline that bytes of the body
 *   do not push back, and it stays the connection's timeout after the answer: 0 would keep an idle keep-alive
 *   connection open for ever, and a second request head on it could then trickle for ever too.
 */

/** Bun's default idle timeout, set explicitly so the proxy can restore it after an answer. */
export const IDLE_TIMEOUT_SECONDS = 10

/**
 * Bun's timer while Lectr reads a body: past Lectr's own deadline (which answers 408 first), so it only cuts a
 * connection whose 408 could not be sent. At most 255 s, Bun's limit. uSockets counts timeouts in 4 s ticks
 * (`(seconds + 3) >> 2` ticks from the last tick), so a timer may fire up to 4 s early: the 6 s margin keeps it at least
 * a second after Lectr's deadline (with +2 it fired after 0.6 s of a 1 s deadline, in a loaded test run).
 */
export function bodyBackstopSeconds(bodyTimeoutMs: number): number {
  return Math.min(255, Math.ceil(bodyTimeoutMs / 1000) + 6)
}
