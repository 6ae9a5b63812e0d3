import { html, type Interpolation, type SafeHtml } from '../html'

/** The page's h1, an optional one-line description, and controls aligned to the right (tabs, buttons). */
export function pageHeader(title: string, description?: Interpolation, actions?: Interpolation): SafeHtml {
  return html`<div class="page-header">
  <div>
    <h1>${title}</h1>
    ${description ? html`<p class="page-description">${description}</p>` : ''}
  </div>
  ${actions ? html`<div class="page-actions">${actions}</div>` : ''}
</div>`
}
