import { formatCount, formatUsd, providerLabel } from '../format'
import { html, type SafeHtml } from '../html'
import { csrfField, layout } from '../layout'
import { notice } from '../partials/notice'
import { emptyState } from '../partials/empty-state'
import { pageHeader } from '../partials/page-header'
import type { LayoutData, RecommendationRow, RecommendationsData } from '../types'
import { href } from '../url'
import { shownString } from '../../src/limits'

/** Rows on one page: the largest savings first, so the first page holds most of the money. */
export const RECOMMENDATIONS_PER_PAGE = 50

/** The page asked for, within 1…the last page (a link kept from when there were more rows shows the last one). */
export function pageNumber(asked: number | null | undefined, total: number): number {
  const last = Math.max(1, Math.ceil(total / RECOMMENDATIONS_PER_PAGE))
  return Math.min(Math.max(1, asked && Number.isInteger(asked) ? asked : 1), last)
}

/** The URL of a page of recommendations; page 1 is the bare `/recommendations`. */
export function recommendationsHref(page: number): string {
  return href('/recommendations', { page: page > 1 ? page : null })
}

/** Largest monthly savings first; ties by request count so the order is stable. */
export function sortRecommendations(rows: readonly RecommendationRow[]): RecommendationRow[] {
  return [...rows].sort((a, b) => b.monthlySavingsUsd - a.monthlySavingsUsd || b.requests - a.requests || a.model.localeCompare(b.model))
}

function group(r: RecommendationRow): SafeHtml {
  const task = r.task ? html`<span class="tag">${r.task}</span>` : html`<span class="muted">no task</span>`
  const feature = r.feature ? html`<span class="tag">${shownString(r.feature)}</span>` : html`<span class="muted">no feature</span>`
  return html`<div>${task}</div><div>${feature}</div>`
}

/** One click from a recommendation to a 10% canary rule for its group (SPEC section 9). */
function canaryForm(r: RecommendationRow, csrf: string, page: number): SafeHtml {
  // An Azure target names a deployment the registry cannot know: such rules are written in the editor.
  if (r.provider === 'azure') return html`<a class="btn btn-small btn-quiet" href="/settings/routing">Route in the editor</a>`
  return html`<form class="canary-form" method="post" action="/recommendations/canary">
    ${csrfField(csrf)}
    <input type="hidden" name="provider" value="${r.provider}">
    <input type="hidden" name="model" value="${r.model}">
    <input type="hidden" name="task" value="${r.task ?? ''}">
    <input type="hidden" name="feature" value="${r.feature ?? ''}">
    ${page > 1 ? html`<input type="hidden" name="page" value="${page}">` : ''}
    <button type="submit" class="btn btn-small" title="Send 10% of this group's requests to ${r.suggestedModel}, the rest as sent, and compare">Try as a canary</button>
  </form>`
}

function recommendationRow(r: RecommendationRow, csrf: string, page: number): SafeHtml {
  return html`<tr>
  <td class="cell-primary" data-label="">
    <div class="swap"><code class="model">${shownString(r.model)}</code> <span class="arrow" aria-label="to">→</span> <code class="model model-suggested">${r.suggestedModel}</code></div>
    <div class="reason">${r.reason}</div>
    <div class="canary-action">${canaryForm(r, csrf, page)}</div>
  </td>
  <td class="nowrap" data-label="Provider">${providerLabel(r.provider)}</td>
  <td class="cell-tags" data-label="Task · feature">${group(r)}</td>
  <td data-label="Step"><span class="badge badge-${r.aggressiveness}">${r.aggressiveness}</span></td>
  <td class="num" data-label="Requests">${formatCount(r.requests)}</td>
  <td class="num nowrap" data-label="Avg in / out">${formatCount(r.avgInputTokens)} <span class="muted">/</span> ${formatCount(r.avgOutputTokens)}</td>
  <td class="num" data-label="Current">${formatUsd(r.currentCostUsd)}</td>
  <td class="num" data-label="Projected">${formatUsd(r.projectedCostUsd)}</td>
  <td class="num savings" data-label="Savings/mo">${formatUsd(r.monthlySavingsUsd)}</td>
</tr>`
}

function howItWorks(data: RecommendationsData): SafeHtml {
  return html`Recommendations are made per model, task and feature, for groups with at least
  <strong>${formatCount(data.minRequests)} requests</strong> in the last ${formatCount(data.windowDays)} days, and only within a provider.
  Tag requests with <code>X-Lectr-Task</code> (<code>classification</code>, <code>extraction</code>, <code>summarisation</code>,
  <code>generation</code>, <code>reasoning</code>) and <code>X-Lectr-Feature</code> so Lectr knows how far a model can safely be stepped down.
  Reasoning tasks are never downgraded.`
}

function pager(page: number, total: number): SafeHtml {
  const last = Math.ceil(total / RECOMMENDATIONS_PER_PAGE)
  if (last <= 1) return html``
  const first = (page - 1) * RECOMMENDATIONS_PER_PAGE + 1
  const end = Math.min(page * RECOMMENDATIONS_PER_PAGE, total)
  const link = (to: number, rel: 'prev' | 'next', label: string) => {
    const url = recommendationsHref(to)
    return html`<a class="btn btn-small" rel="${rel}" href="${url}" hx-get="${url}" hx-target="#recommendations-table" hx-swap="outerHTML" hx-push-url="true">${label}</a>`
  }
  return html`<div class="pager">
  <span class="muted">${formatCount(first)}–${formatCount(end)} of ${formatCount(total)}</span>
  ${page > 1 ? link(page - 1, 'prev', '← Previous') : ''}
  ${page < last ? link(page + 1, 'next', 'Next →') : ''}
</div>`
}

function table(rows: RecommendationRow[], csrf: string, page: number): SafeHtml {
  return html`<div class="table-wrap"><table class="table table-compact table-recommendations table-stack">
  <thead><tr>
    <th scope="col">Model → suggested</th>
    <th scope="col">Provider</th>
    <th scope="col">Task · feature</th>
    <th scope="col">Step</th>
    <th scope="col" class="num">Requests</th>
    <th scope="col" class="num" title="Average prompt / output tokens per request">Avg in/out</th>
    <th scope="col" class="num">Current</th>
    <th scope="col" class="num">Projected</th>
    <th scope="col" class="num">Savings/mo</th>
  </tr></thead>
  <tbody>${rows.map((r) => recommendationRow(r, csrf, page))}</tbody>
</table></div>`
}

/** The `#recommendations-table` fragment: one page of rows and the pager (htmx swaps it on Next/Previous). */
function tableHtml(all: RecommendationRow[], csrf: string, page: number): SafeHtml {
  const from = (page - 1) * RECOMMENDATIONS_PER_PAGE
  return html`<div id="recommendations-table">${table(all.slice(from, from + RECOMMENDATIONS_PER_PAGE), csrf, page)}
${pager(page, all.length)}</div>`
}

/** The `#recommendations-table` fragment alone, for htmx requests to `/recommendations?page=`. */
export function recommendationsTable(csrf: string, data: RecommendationsData): string {
  const rows = sortRecommendations(data.rows)
  return tableHtml(rows, csrf, pageNumber(data.page, rows.length)).toString()
}

/**
 * Recommendations: cheaper models within the same provider, largest savings first, 50 to a page; the summary
 * counts and sums every page. URL: `/recommendations?page`.
 */
export function recommendationsPage(frame: LayoutData, data: RecommendationsData): string {
  const rows = sortRecommendations(data.rows)
  const total = rows.reduce((sum, r) => sum + r.monthlySavingsUsd, 0)
  const summary = rows.length
    ? html`Up to <strong>${formatUsd(total)}</strong> a month across ${formatCount(rows.length)} ${rows.length === 1 ? 'change' : 'changes'}, based on the last ${formatCount(data.windowDays)} days.`
    : html`Cheaper models within the same provider, based on the last ${formatCount(data.windowDays)} days.`
  return layout(
    frame,
    html`${pageHeader('Recommendations', summary)}
${notice(data.error, 'error')}
${
  rows.length === 0
    ? html`<section class="card">${emptyState('No recommendations yet', howItWorks(data))}</section>`
    : html`<section class="card card-flush">${tableHtml(rows, frame.csrf, pageNumber(data.page, rows.length))}</section>
<p class="help">${howItWorks(data)}</p>`
}`,
  )
}
