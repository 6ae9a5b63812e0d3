import { TASKS, type ProviderId, type Task } from '../domain'
import type { EventFilter } from '../storage/events'
import { PROVIDER_IDS } from '../registry/schema'
import { parseTimeRange } from './time-range'

const PROVIDER_SET: ReadonlySet<string> = new Set(PROVIDER_IDS)
const TASK_SET: ReadonlySet<string> = new Set(TASKS)

/**
 * The events filters of a query (`provider model feature task status since until`: the events API and its export;
 * no status class), or every problem with them.
 * @example parseEventFilters({ provider: 'openai', since: '2025-03-01' }, new Date()).filters?.provider // 'openai'
 */
export function parseEventFilters(q: Record<string, string | undefined>, now: Date): { filters: EventFilter; problems: [] } | { filters: null; problems: string[] } {
  const problems: string[] = []
  if (q.provider && !PROVIDER_SET.has(q.provider)) problems.push(`provider: expected one of ${PROVIDER_IDS.join(' ')}`)
  if (q.task && !TASK_SET.has(q.task)) problems.push(`task: expected one of ${TASKS.join(' ')}`)
  const status = q.status ? Number(q.status) : null
  if (status !== null && !Number.isInteger(status)) problems.push('status: expected an HTTP status')
  const range = parseTimeRange(q, now, null)
  if (!range.ok) problems.push(...range.problems)
  if (problems.length || !range.ok) return { filters: null, problems }
  return {
    problems: [],
    filters: {
      provider: (q.provider || null) as ProviderId | null, model: q.model || null, feature: q.feature || null,
      task: (q.task || null) as Task | null, status, statusClass: null, since: range.since, until: range.until,
    },
  }
}
