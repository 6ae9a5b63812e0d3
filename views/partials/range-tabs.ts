import { html, type SafeHtml } from '../html'
import { RANGES, type Range } from '../types'

/** 24h / 7d / 30d as plain links (a segmented control); `hrefFor` keeps the page's other parameters. */
export function rangeTabs(active: Range, hrefFor: (range: Range) => string): SafeHtml {
  return html`<nav class="segmented" aria-label="Time range">
  ${RANGES.map((r) => html`<a class="${r === active ? 'segment is-active' : 'segment'}" href="${hrefFor(r)}"${r === active ? html` aria-current="true"` : ''}>${r}</a>`)}
</nav>`
}
