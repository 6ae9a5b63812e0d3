import { formatCount, formatLatency, formatPercent, formatUsd, plural, providerLabel, rangeLabel } from '../format'
import { html, type Interpolation, type SafeHtml } from '../html'
import { layout } from '../layout'
import { usageChart } from '../partials/chart'
import { pageHeader } from '../partials/page-header'
import { rangeTabs } from '../partials/range-tabs'
import { costWithPricing } from '../partials/cost'
import { shownString } from '../../src/limits'
import type { BreakdownRow, LayoutData, OverviewData, OverviewTotals } from '../types'
import { href } from '../url'

function card(label: string, value: string, note?: Interpolation): SafeHtml {
  return html`<div class="card stat">
  <div class="stat-label">${label}</div>
  <div class="stat-value">${value}</div>
  ${note ? html`<div class="stat-note">${note}</div>` : ''}
</div>`
}

function cards(t: OverviewTotals): SafeHtml {
  return html`<section class="stats" aria-label="Totals">
  ${card('Requests', formatCount(t.requests))}
  ${card('Cost', formatUsd(t.costUsd), t.unpricedRequests > 0 ? `${plural(t.unpricedRequests, 'request')} without pricing` : '')}
  ${card('Avg latency', formatLatency(t.avgLatencyMs))}
  ${card('p95 latency', formatLatency(t.p95LatencyMs))}
  ${card('Error rate', formatPercent(t.errorRate), t.errorRate !== null ? 'status 400 and above' : '')}
</section>`
}

function tokenCards(t: OverviewTotals): SafeHtml {
  return html`<section class="stats stats-tokens" aria-label="Tokens">
  ${card('Input tokens', formatCount(t.inputTokens), t.cachedInputTokens > 0 ? `${formatCount(t.cachedInputTokens)} of them cached` : '')}
  ${card('Output tokens', formatCount(t.outputTokens))}
  ${card('Total tokens', formatCount(t.inputTokens + t.outputTokens))}
</section>`
}

function share(part: number, whole: number): string {
  return whole > 0 ? formatPercent(part / whole) : '—'
}

/** A small table: one row per provider or feature, with its share of the range's cost. */
function breakdownCard(title: string, column: string, rows: SafeHtml[], empty: string): SafeHtml {
  return html`<section class="card card-flush">
  <h2 class="card-title card-title-padded">${title}</h2>
  ${
    rows.length === 0
      ? html`<p class="muted breakdown-empty">${empty}</p>`
      : html`<div class="table-wrap"><table class="table table-compact table-stack">
    <thead><tr><th scope="col">${column}</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Cost</th><th scope="col" class="num">Share of cost</th></tr></thead>
    <tbody>${rows}</tbody>
  </table></div>`
  }
</section>`
}

function breakdownRow(label: SafeHtml, r: BreakdownRow, totalCost: number): SafeHtml {
  return html`<tr>
  <td class="cell-primary" data-label="">${label}</td>
  <td class="num" data-label="Requests">${formatCount(r.requests)}</td>
  <td class="num" data-label="Cost">${costWithPricing(r.costUsd, r.requests, r.unpricedRequests)}</td>
  <td class="num" data-label="Share of cost">${share(r.costUsd, totalCost)}</td>
</tr>`
}

function breakdowns(data: OverviewData): SafeHtml {
  const total = data.totals.costUsd
  const providers = data.byProvider.map((r) => breakdownRow(html`${providerLabel(r.key)}`, r, total))
  const features = data.byFeature.map((r) =>
    breakdownRow(r.key ? html`<span class="tag" title="${shownString(r.key)}">${shownString(r.key)}</span>` : html`<span class="muted">(no feature)</span>`, r, total),
  )
  const other = data.otherFeatures
  if (other) features.push(breakdownRow(html`<span class="muted">${plural(other.features, 'other feature')}</span>`, other, total))
  return html`<div class="columns breakdowns">
  ${breakdownCard('By provider', 'Provider', providers, 'No requests in this range.')}
  ${breakdownCard('By feature', 'Feature', features, 'No requests in this range.')}
</div>`
}

/** Overview: totals and requests/cost over time for the chosen range. URL: `/?range=24h|7d|30d`. */
export function overviewPage(frame: LayoutData, data: OverviewData): string {
  return layout(
    frame,
    html`${pageHeader('Overview', rangeLabel(data.range), rangeTabs(data.range, (range) => href('/', { range })))}
${cards(data.totals)}
${tokenCards(data.totals)}
<section class="card chart-card">
  <h2 class="card-title">Requests and cost</h2>
  ${usageChart(data.buckets)}
</section>
${breakdowns(data)}`,
  )
}
