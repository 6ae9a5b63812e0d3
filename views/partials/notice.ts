import { html, type SafeHtml } from '../html'

/** A one-line confirmation ("Key revoked.") or an error above the page content. */
export function notice(message: string | null | undefined, kind: 'success' | 'error' = 'success'): SafeHtml {
  if (!message) return html``
  return html`<div class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${message}</div>`
}
