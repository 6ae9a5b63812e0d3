import { formatUsd, plural } from '../format'
import { html, type SafeHtml } from '../html'

/**
 * A cost that may be partly or wholly unpriced (SPEC: an unknown model costs null and shows
 * "$0.00 (pricing unavailable)"). `costUsd` sums the priced requests only.
 */
export function costWithPricing(costUsd: number, requests: number, unpricedRequests: number): SafeHtml {
  if (requests > 0 && unpricedRequests >= requests) {
    return html`${formatUsd(0)} <span class="muted unpriced">(pricing unavailable)</span>`
  }
  if (unpricedRequests > 0) {
    return html`${formatUsd(costUsd)} <span class="note" title="These requests used a model with no price in the registry and are not in the cost.">+ ${plural(unpricedRequests, 'unpriced request')}</span>`
  }
  return html`${formatUsd(costUsd)}`
}

/**
 * One event's cost. Null with token counts means the registry had no price for its model; null without any
 * usage (a refused or failed request) has nothing to price.
 */
export function eventCost(costUsd: number | null, hasUsage = true): SafeHtml {
  if (costUsd !== null) return html`${formatUsd(costUsd)}`
  if (!hasUsage) return html`<span class="muted" title="No usage was reported">—</span>`
  return html`${formatUsd(0)} <span class="muted unpriced">(pricing unavailable)</span>`
}
