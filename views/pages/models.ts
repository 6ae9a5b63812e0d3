import { formatCount, formatLatency, providerLabel, rangeLabel } from '../format'
import { html, type SafeHtml } from '../html'
import { layout } from '../layout'
import { costWithPricing } from '../partials/cost'
import { emptyState } from '../partials/empty-state'
import { pageHeader } from '../partials/page-header'
import { PROVIDER_IDS } from '../../src/registry/schema'
import { shownString } from '../../src/limits'
import { RANGES, type LayoutData, type ModelRow, type ModelSort, type ModelsData, type SortDir } from '../types'
import { href } from '../url'

const COLUMNS: { sort: ModelSort; label: string; numeric: boolean }[] = [
  { sort: 'model', label: 'Model', numeric: false },
  { sort: 'provider', label: 'Provider', numeric: false },
  { sort: 'requests', label: 'Requests', numeric: true },
  { sort: 'input', label: 'Input tokens', numeric: true },
  { sort: 'output', label: 'Output tokens', numeric: true },
  { sort: 'cost', label: 'Cost', numeric: true },
  { sort: 'latency', label: 'Avg latency', numeric: true },
]

const SORT_VALUE: Record<ModelSort, (row: ModelRow) => number | string> = {
  model: (r) => r.model,
  provider: (r) => providerLabel(r.provider),
  requests: (r) => r.requests,
  input: (r) => r.inputTokens,
  output: (r) => r.outputTokens,
  cost: (r) => r.costUsd,
  latency: (r) => r.avgLatencyMs,
}

/** Requests that named no model (a GET, a body without `model`) are grouped under an empty id. */
export const NO_MODEL_LABEL = '(no model)'

/** The rows in table order; ties fall back to most requests, then the model id, so the order is stable. */
export function sortModelRows(rows: readonly ModelRow[], sort: ModelSort, dir: SortDir): ModelRow[] {
  const value = SORT_VALUE[sort] ?? SORT_VALUE.requests
  const sign = dir === 'asc' ? 1 : -1
  const compare = (a: number | string, b: number | string) =>
    typeof a === 'string' && typeof b === 'string' ? a.localeCompare(b) : Number(a) - Number(b)
  return [...rows].sort(
    (a, b) => sign * compare(value(a), value(b)) || b.requests - a.requests || a.model.localeCompare(b.model),
  )
}

/** The URL for a state of the models page; the filter form, sort links and htmx all use it. */
export function modelsHref(data: Pick<ModelsData, 'provider' | 'range' | 'sort' | 'dir'>): string {
  return href('/models', { provider: data.provider, range: data.range, sort: data.sort, dir: data.dir })
}

/** Clicking the active column flips it; a new column starts with the direction that reads best (A-Z, largest first). */
function nextDir(data: ModelsData, column: (typeof COLUMNS)[number]): SortDir {
  if (column.sort === data.sort) return data.dir === 'asc' ? 'desc' : 'asc'
  return column.numeric ? 'desc' : 'asc'
}

function sortHeader(data: ModelsData, column: (typeof COLUMNS)[number]): SafeHtml {
  const url = modelsHref({ ...data, sort: column.sort, dir: nextDir(data, column) })
  const active = column.sort === data.sort
  const ariaSort = active ? (data.dir === 'asc' ? 'ascending' : 'descending') : 'none'
  const arrow = active ? (data.dir === 'asc' ? '▲' : '▼') : ''
  return html`<th scope="col"${column.numeric ? html` class="num"` : ''} aria-sort="${ariaSort}"><a class="${active ? 'sort is-active' : 'sort'}" href="${url}" hx-get="${url}" hx-target="#models-table" hx-swap="outerHTML" hx-push-url="true">${column.label}<span class="sort-arrow" aria-hidden="true">${arrow}</span></a></th>`
}

function modelName(row: ModelRow): SafeHtml {
  return row.model ? html`<code class="model">${shownString(row.model)}</code>` : html`<span class="muted">${NO_MODEL_LABEL}</span>`
}

function providerCell(row: ModelRow): SafeHtml {
  const unknown = row.providerUnknown
    ? html` <span class="badge badge-warn" title="No registry entry names this model's provider: it was sent to OpenAI by default.">unknown provider</span>`
    : ''
  return html`${providerLabel(row.provider)}${unknown}`
}

/** The cache part of the input, when there is one: reads and writes are priced apart (SPEC section 8). */
function cacheNote(row: ModelRow): SafeHtml | '' {
  const read = row.cachedInputTokens ?? 0
  const written = (row.cacheWriteTokens ?? 0) + (row.cacheWrite1hTokens ?? 0)
  if (read === 0 && written === 0) return ''
  const parts = [read ? `${formatCount(read)} cache read` : '', written ? `${formatCount(written)} cache write` : ''].filter(Boolean)
  return html`<span class="cell-note">${parts.join(' · ')}</span>`
}

function modelRow(row: ModelRow): SafeHtml {
  return html`<tr>
  <td class="cell-primary" data-label="Model">${modelName(row)}</td>
  <td data-label="Provider">${providerCell(row)}</td>
  <td class="num" data-label="Requests">${formatCount(row.requests)}</td>
  <td class="num" data-label="Input tokens">${formatCount(row.inputTokens)}${cacheNote(row)}</td>
  <td class="num" data-label="Output tokens">${formatCount(row.outputTokens)}</td>
  <td class="num" data-label="Cost">${costWithPricing(row.costUsd, row.requests, row.unpricedRequests)}</td>
  <td class="num" data-label="Avg latency">${formatLatency(row.avgLatencyMs)}</td>
</tr>`
}

function modelsTableHtml(data: ModelsData): SafeHtml {
  const rows = sortModelRows(data.rows, data.sort, data.dir)
  // The sort state lives inside the fragment and joins the filter form through `form=`, so a filter change
  // after an htmx sort keeps the new sort.
  return html`<div id="models-table" class="table-wrap">
  <input type="hidden" name="sort" value="${data.sort}" form="models-filters">
  <input type="hidden" name="dir" value="${data.dir}" form="models-filters">
  ${
    rows.length === 0
      ? emptyState(
          'No requests in this range',
          data.provider
            ? html`Nothing was sent to ${providerLabel(data.provider)} in the ${rangeLabel(data.range).toLowerCase()}.`
            : html`Point a client at <code>/v1</code> with an <code>X-Lectr-Key</code> header and its models show up here.`,
        )
      : html`<table class="table table-stack">
    <thead><tr>${COLUMNS.map((c) => sortHeader(data, c))}</tr></thead>
    <tbody>
      ${rows.map(modelRow)}
    </tbody>
  </table>`
  }
</div>`
}

/** The `#models-table` fragment, for htmx requests (`HX-Request` header) to `/models`. */
export function modelsTable(data: ModelsData): string {
  return modelsTableHtml(data).toString()
}

function filters(data: ModelsData): SafeHtml {
  return html`<form id="models-filters" class="filters" method="get" action="/models" hx-get="/models" hx-target="#models-table" hx-swap="outerHTML" hx-push-url="true" hx-trigger="change, submit">
  <label class="field-inline">Provider
    <select name="provider">
      <option value="">All providers</option>
      ${PROVIDER_IDS.map((p) => html`<option value="${p}"${p === data.provider ? html` selected` : ''}>${providerLabel(p)}</option>`)}
    </select>
  </label>
  <label class="field-inline">Range
    <select name="range">
      ${RANGES.map((r) => html`<option value="${r}"${r === data.range ? html` selected` : ''}>${rangeLabel(r)}</option>`)}
    </select>
  </label>
  <button type="submit" class="btn btn-small js-hide">Apply</button>
</form>`
}

/** Models: requests, cost and latency per model across providers. URL: `/models?provider&range&sort&dir`. */
export function modelsPage(frame: LayoutData, data: ModelsData): string {
  return layout(
    frame,
    html`${pageHeader('Models', 'Requests, cost and latency per model, across every provider.', filters(data))}
<section class="card card-flush">
${modelsTableHtml(data)}
</section>`,
  )
}
