/**
 * A long read (a page over many days, the recommendations over thousands of groups, a filtered scan of events)
 * runs on the proxy's own thread. Awaiting this between bounded slices of it lets the event loop turn, so a proxied
 * request arriving meanwhile waits for at most one slice, not for the whole read (issue 18).
 *
 * setImmediate, not a resolved promise: a promise continues in the same turn (a microtask) and lets nothing else run.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
