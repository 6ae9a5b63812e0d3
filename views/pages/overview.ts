import { formatCount, formatLatency, formatPercent, formatUsd, plural, rangeLabel } from '../format'
import { html, type Interpolation, type SafeHtml } from '../html'
import { layout } from '../layout'
import { usageChart } from '../partials/chart'
import { pageHeader } from '../partials/page-header'
import { rangeTabs } from '../partials/range-tabs'
import type { LayoutData, OverviewData, OverviewTotals } from '../types'
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

/** Overview: totals and requests/cost over time for the chosen range. URL: `/?range=24h|7d|30d`. */
export function overviewPage(frame: LayoutData, data: OverviewData): string {
  return layout(
    frame,
    html`${pageHeader('Overview', rangeLabel(data.range), rangeTabs(data.range, (range) => href('/', { range })))}
${cards(data.totals)}
<section class="card chart-card">
  <h2 class="card-title">Requests and cost</h2>
  ${usageChart(data.buckets)}
</section>`,
  )
}
