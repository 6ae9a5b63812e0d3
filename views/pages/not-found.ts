import { html } from '../html'
import { documentShell, layout } from '../layout'
import type { LayoutData, NotFoundData } from '../types'

function body(data: NotFoundData) {
  return html`<section class="card not-found">
  <p class="not-found-code">404</p>
  <h1>Page not found</h1>
  <p>${data.message ?? 'There is nothing at this address.'}</p>
  <p><a class="btn" href="/">Go to the overview</a></p>
</section>`
}

/** 404 inside the dashboard frame when signed in (`frame`), or on a bare page when not. */
export function notFoundPage(frame: LayoutData | null, data: NotFoundData = {}): string {
  if (frame) return layout({ ...frame, title: frame.title || 'Not found' }, body(data))
  return documentShell('Not found', 'bare', html`<main class="container main narrow">${body(data)}</main>`)
}
