import type { EventLogHealth } from '../events/writer'

export interface Health {
  status: 'ok' | 'degraded'
  version: string
  registryVersion: string
  events?: { queued: number; spilled: number; written: number; overflowed: number; dropped: number }
  /** why it is degraded; only then */
  reason?: string
}

/**
 * Why the event log is not keeping every event right now, or null when it is: it cannot be written (the events wait),
 * spilled events are still being written back, or events were lost since start (full queue, no room on disk; or
 * refused by SQLite). Also the dashboard's warning banner. Never a path or a key: /api/health needs no token.
 */
export function eventLogProblem(e: EventLogHealth): string | null {
  const problems: string[] = []
  if (e.failing !== null) problems.push(`the event log cannot be written (${e.failing}); ${e.queued + e.spilled} events wait to be written`)
  else if (e.replaying) problems.push(`the events spilled to disk while the event log could not be written are being written now (${e.queued + e.spilled} wait)`)
  if (e.overflowed > 0) problems.push(`${e.overflowed} events were lost since start: the event queue (LECTR_EVENT_BUFFER) was full and they could not be spilled to disk`)
  if (e.dropped > 0) problems.push(`${e.dropped} events were dropped since start: the database refused them (see the log)`)
  return problems.length ? problems.join('; ') : null
}

/** The /api/health answer: always 200 (a load balancer must not drop an instance that still proxies), degraded with a reason. */
export function healthOf(version: string, registryVersion: string, events: EventLogHealth | null): Health {
  if (!events) return { status: 'ok', version, registryVersion }
  const reason = eventLogProblem(events)
  const { queued, spilled, written, overflowed, dropped } = events
  const counts = { queued, spilled, written, overflowed, dropped }
  return reason ? { status: 'degraded', version, registryVersion, events: counts, reason } : { status: 'ok', version, registryVersion, events: counts }
}
