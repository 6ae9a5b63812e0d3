import { Elysia } from 'elysia'
import { eventDetailPage } from '../../views/pages/event-detail'
import { eventsPage, eventsTable } from '../../views/pages/events'
import { notFoundPage } from '../../views/pages/not-found'
import type { EventFilters, EventsData } from '../../views/types'
import { page, type Dashboard } from './context'
import { exportResponse } from '../operations/export'
import { ALL_EVENTS, type EventFilter } from '../storage/events'
import type { ProviderId, Task } from '../domain'
import { htmlResponse, isHtmx } from './http'
import { providerParam, statusParam, taskParam, textParam } from './params'
import { knownValues, listEvents } from './queries'

export const EVENTS_PER_PAGE = 50

/** An event id or cursor as Lectr mints them (UUIDv7), or near enough to look up; anything else is ignored. */
function idParam(value: string | null | undefined): string | null {
  return value && /^[0-9A-Za-z_-]{1,64}$/.test(value) ? value : null
}

/** GET /events (filters, cursor; htmx gets only `#events-table`) and GET /events/:id. */
export function eventRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/events',
      page(d, async (s) => {
        const q = s.url.searchParams
        const filters: EventFilters = {
          provider: providerParam(q),
          model: textParam(q, 'model'),
          feature: textParam(q, 'feature'),
          task: taskParam(q),
          status: statusParam(q),
        }
        const cursor = idParam(q.get('cursor'))
        const now = d.deps.clock().getTime()
        const { rows, next } = await listEvents(d.deps.storage.events, d.deps.storage.rollups, s.org, filters, cursor, now, { limit: EVENTS_PER_PAGE })
        const data: EventsData = { rows, filters, next, paged: cursor !== null }
        const vary = { vary: 'HX-Request' }
        if (isHtmx(s.request)) return htmlResponse(eventsTable(data), 200, vary)
        const known = await knownValues(d.deps.storage.rollups, s.org, now)
        return htmlResponse(eventsPage(s.frame('Events', 'events'), { ...data, knownModels: known.models, knownFeatures: known.features }), 200, vary)
      }),
    )
    // The Events page's filters, every matching event: the admin API's export, for the session's org.
    .get(
      '/events/export',
      page(d, (s) => {
        const q = s.url.searchParams
        const filter: EventFilter = {
          ...ALL_EVENTS, provider: providerParam(q) as ProviderId | null, model: textParam(q, 'model'), feature: textParam(q, 'feature'),
          task: taskParam(q) as Task | null, statusClass: statusParam(q),
        }
        return exportResponse(d.deps.storage.events, s.org, filter, q.get('format') === 'ndjson' ? 'ndjson' : 'csv', d.deps.clock())
      }),
    )
    .get(
      '/events/:id',
      page(d, async (s) => {
        const id = idParam(s.params.id)
        const event = id ? await d.deps.storage.events.get(s.org, id) : null
        if (!event) return htmlResponse(notFoundPage(s.frame('Event not found', 'events'), { message: 'There is no such event in this org. It may be older than the retention period.' }), 404)
        return htmlResponse(eventDetailPage(s.frame('Event', 'events'), { event }))
      }),
    )
}
