import { DAY_MS } from '../domain'
import type { EventStore } from '../storage/events'

/**
 * Retention: raw events older than `days` go, at start and every hour, a slice at a time; roll-ups stay. A prune
 * still running when the next is due is not started twice; `stop` ends the slices at the next one.
 */
export function startRetention(events: Pick<EventStore, 'prune'>, days: number, log: (line: string) => void): { stop(): void } {
  let stopped = false
  let pruning = false
  const prune = async () => {
    if (pruning || stopped) return
    pruning = true
    try {
      await events.prune(Date.now() - days * DAY_MS, { stopped: () => stopped })
    } catch (err) {
      if (!stopped) log(`lectr: pruning old events failed: ${(err as Error).message}`)
    } finally {
      pruning = false
    }
  }
  void prune()
  const timer = setInterval(() => void prune(), 3_600_000)
  timer.unref?.()
  return {
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
}
