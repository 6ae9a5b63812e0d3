import type { LectrEvent } from '../domain'
import { log } from '../log'
import type { MetricsCollector } from './collector'

type Record = (e: LectrEvent, complete?: () => void, overheadMs?: number) => void

/**
 * The proxy's `record`, with every event also counted in the metrics (and access-logged) once it is final: at once,
 * or, for an event the writer completes later (usage metered after the answer went out), right after its completion
 * (even one that failed: the event is written as it stands, so it is counted as it stands).
 */
export function observed(enqueue: (e: LectrEvent, complete?: () => void) => void, metrics: MetricsCollector, access: ((e: LectrEvent) => void) | null): Record {
  const count = (e: LectrEvent, overheadMs: number | undefined) => {
    try {
      metrics.observe(e, overheadMs)
      access?.(e)
    } catch (err) {
      // Never on the request's path: a metrics bug costs a count, not an answer or an event.
      log.error('error', `lectr: event ${e.id} could not be counted in the metrics: ${(err as Error).message}`)
    }
  }
  return (e, complete, overheadMs) => {
    if (!complete) {
      enqueue(e)
      count(e, overheadMs)
      return
    }
    enqueue(e, () => {
      try {
        complete()
      } finally {
        count(e, overheadMs)
      }
    })
  }
}
