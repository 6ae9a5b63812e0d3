import type { LectrEvent } from '../events/types'
import type { MetricsCollector } from './collector'

type Record = (e: LectrEvent, complete?: () => void, overheadMs?: number) => void

/**
 * The proxy's `record`, with every event also counted in the metrics (and access-logged) once it is final: at once,
 * or, for an event the writer completes later (usage metered after the answer went out), right after its completion.
 */
export function observed(enqueue: (e: LectrEvent, complete?: () => void) => void, metrics: MetricsCollector, access: ((e: LectrEvent) => void) | null): Record {
  return (e, complete, overheadMs) => {
    if (!complete) {
      enqueue(e)
      metrics.observe(e, overheadMs)
      access?.(e)
      return
    }
    enqueue(e, () => {
      complete()
      metrics.observe(e, overheadMs)
      access?.(e)
    })
  }
}
