import { formatClockSeconds, formatCount, formatDay, formatDateTime, formatLatency, providerLabel } from '../format'
import { html, type SafeHtml } from '../html'
import { layout } from '../layout'
import { eventCost } from '../partials/cost'
import { emptyState } from '../partials/empty-state'
import { pageHeader } from '../partials/page-header'
import { TASKS } from '../../src/domain'
import { PROVIDER_IDS } from '../../src/registry/schema'
import { shownString } from '../../src/limits'
import type { EventFilters, EventsData, LayoutData, LectrEvent, StatusFilter } from '../types'
import { href } from '../url'

const STATUS_OPTIONS: { value: StatusFilter; label: string }[] = [
  { value: 'ok', label: 'Success' },
  { value: 'error', label: 'Error (≥ 400)' },
]

/** The URL that downloads every event matching the filters (the dashboard's copy of the admin API's export). */
export function exportHref(filters: EventFilters, format: 'csv' | 'ndjson'): string {
  return href('/events/export', { ...filters, format })
}

/** The URL for a filtered (and optionally paged) events list. */
export function eventsHref(filters: EventFilters, cursor?: string | null): string {
  return href('/events', { ...filters, cursor })
}

function statusBadge(status: number): SafeHtml {
  const kind = status >= 500 || status === 499 ? 'bad' : status >= 400 ? 'warn' : 'ok'
  return html`<span class="badge badge-${kind}">${status}</span>`
}

function tokens(e: LectrEvent): SafeHtml {
  if (e.inputTokens === null && e.outputTokens === null) return html`<span class="muted">—</span>`
  return html`${formatCount(e.inputTokens)} <span class="muted">/</span> ${formatCount(e.outputTokens)}${e.usageEstimated ? html`<span class="note" title="The stream was cut off: these are the tokens seen so far."> est.</span>` : ''}`
}

/** A stored string is shown cut (`shownString`), so that a page of events stays small whatever the log holds. */
function tag(value: string | null): SafeHtml {
  const shown = shownString(value)
  return shown ? html`<span class="tag" title="${shown}">${shown}</span>` : html`<span class="muted">—</span>`
}

function hasUsage(e: LectrEvent): boolean {
  return e.inputTokens !== null || e.outputTokens !== null
}

function eventRow(e: LectrEvent): SafeHtml {
  const model = shownString(e.model)
  const detail = `/events/${encodeURIComponent(e.id)}`
  return html`<tr>
  <td class="nowrap cell-primary" data-label="Time (UTC)"><a href="${detail}" title="${formatDateTime(e.time)} UTC"><time datetime="${e.time}">${formatDay(e.time)} ${formatClockSeconds(e.time)}</time></a></td>
  <td class="nowrap" data-label="Provider">${providerLabel(e.provider)}</td>
  <td class="cell-model" data-label="Model"><code class="model" title="${model ?? ''}">${model ?? '—'}</code></td>
  <td class="nowrap" data-label="Endpoint">${e.endpoint}</td>
  <td data-label="Status">${statusBadge(e.status)}</td>
  <td class="num nowrap" data-label="Tokens in / out">${tokens(e)}</td>
  <td class="num" data-label="Cost">${eventCost(e.costUsd, hasUsage(e))}</td>
  <td class="num" data-label="Latency">${formatLatency(e.latencyMs)}</td>
  <td data-label="Feature">${tag(e.feature)}</td>
  <td data-label="Task">${tag(e.task)}</td>
</tr>`
}

function pager(data: EventsData): SafeHtml {
  if (!data.next && !data.paged) return html``
  const first = eventsHref(data.filters)
  const next = data.next ? eventsHref(data.filters, data.next) : null
  const hx = (url: string) => html` hx-get="${url}" hx-target="#events-table" hx-swap="outerHTML" hx-push-url="true"`
  return html`<div class="pager">
  ${data.paged ? html`<a class="btn btn-small" href="${first}"${hx(first)}>Newest</a>` : ''}
  ${next ? html`<a class="btn btn-small" rel="next" href="${next}"${hx(next)}>Next page →</a>` : html`<span class="muted">End of the log</span>`}
</div>`
}

const HEADERS = ['Time (UTC)', 'Provider', 'Model', 'Endpoint', 'Status', 'Tokens', 'Cost', 'Latency', 'Feature', 'Task']
const NUMERIC = new Set(['Tokens', 'Cost', 'Latency'])
/** Short headers keep the ten columns on a laptop screen; the title says the rest. */
const TITLES: Record<string, string> = { Tokens: 'Input / output tokens' }

function eventsTableHtml(data: EventsData): SafeHtml {
  const filtered = Object.values(data.filters).some((v) => v)
  // Inside the fragment htmx replaces on every filter change, so the links always carry the filters in force.
  return html`<div id="events-table" class="table-wrap">
  <div class="table-tools">
    <a class="btn btn-small" href="${exportHref(data.filters, 'csv')}" download title="Every event matching these filters, as CSV">Export CSV</a>
    <a class="btn btn-small btn-quiet" href="${exportHref(data.filters, 'ndjson')}" download title="Every event matching these filters, one JSON object a line">NDJSON</a>
  </div>
  ${
    data.rows.length === 0 && data.next
      ? emptyState('No matches in this part of the log', html`The events searched so far do not match these filters. Older ones may: <strong>Next page</strong> searches further back.`)
      : data.rows.length === 0
      ? emptyState(
          filtered ? 'No events match these filters' : 'No events yet',
          filtered
            ? html`<a href="/events">Clear the filters</a> to see every event.`
            : html`Every request through <code>/v1</code> with a valid <code>X-Lectr-Key</code> is recorded here, newest first.`,
        )
      : html`<table class="table table-compact table-stack">
    <thead><tr>${HEADERS.map((h) => html`<th scope="col"${NUMERIC.has(h) ? html` class="num"` : ''}${TITLES[h] ? html` title="${TITLES[h]}"` : ''}>${h}</th>`)}</tr></thead>
    <tbody>
      ${data.rows.map(eventRow)}
    </tbody>
  </table>`
  }
  ${pager(data)}
</div>`
}

/** The `#events-table` fragment (table and pager), for htmx requests to `/events`. */
export function eventsTable(data: EventsData): string {
  return eventsTableHtml(data).toString()
}

function select(name: string, label: string, value: string | null, options: { value: string; label: string }[]): SafeHtml {
  return html`<label class="field-inline">${label}
    <select name="${name}">
      <option value="">Any</option>
      ${options.map((o) => html`<option value="${o.value}"${o.value === value ? html` selected` : ''}>${o.label}</option>`)}
    </select>
  </label>`
}

function textFilter(name: string, label: string, value: string | null, suggestions: string[] | undefined): SafeHtml {
  const listId = `${name}-suggestions`
  return html`<label class="field-inline">${label}
    <input type="search" name="${name}" value="${value ?? ''}" placeholder="Any"${suggestions?.length ? html` list="${listId}"` : ''} autocomplete="off" spellcheck="false">
  </label>
  ${suggestions?.length ? html`<datalist id="${listId}">${suggestions.map((s) => html`<option value="${s}">`)}</datalist>` : ''}`
}

function filters(data: EventsData): SafeHtml {
  const f = data.filters
  return html`<form id="events-filters" class="filters card" method="get" action="/events" hx-get="/events" hx-target="#events-table" hx-swap="outerHTML" hx-push-url="true" hx-trigger="change, submit" hx-sync="this:replace">
  ${select('provider', 'Provider', f.provider, PROVIDER_IDS.map((p) => ({ value: p, label: providerLabel(p) })))}
  ${textFilter('model', 'Model', f.model, data.knownModels)}
  ${textFilter('feature', 'Feature', f.feature, data.knownFeatures)}
  ${select('task', 'Task', f.task, TASKS.map((t) => ({ value: t, label: t })))}
  ${select('status', 'Status', f.status, STATUS_OPTIONS)}
  <button type="submit" class="btn btn-small">Filter</button>
  <a class="btn btn-small btn-quiet" href="/events">Reset</a>
</form>`
}

/** Events: the request log, newest first. URL: `/events?provider&model&feature&task&status&cursor`. */
export function eventsPage(frame: LayoutData, data: EventsData): string {
  return layout(
    frame,
    html`${pageHeader('Events', 'Every proxied request, newest first. Prompts, completions and provider keys are never recorded.')}
${filters(data)}
<section class="card card-flush">
${eventsTableHtml(data)}
</section>`,
  )
}
