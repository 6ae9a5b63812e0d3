import { html, type Interpolation, type SafeHtml } from '../html'

/** What a page shows instead of an empty table: what is missing and how to get it. */
export function emptyState(title: string, body: Interpolation): SafeHtml {
  return html`<div class="empty">
  <p class="empty-title">${title}</p>
  <div class="empty-body">${body}</div>
</div>`
}
