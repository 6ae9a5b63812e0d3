import { html } from '../html'
import { documentShell } from '../layout'

export interface MessageData {
  /** e.g. "Sign in again" */
  title: string
  message: string
  /** a way on, e.g. { href: '/signin', label: 'Sign in' } */
  link?: { href: string; label: string } | null
}

/**
 * A bare page for a request the dashboard refused (session ended, form from another site, too large) or could
 * not answer. No nav: it may be shown to someone who is not signed in.
 */
export function messagePage(data: MessageData): string {
  return documentShell(
    data.title,
    'bare',
    html`<main class="container main narrow">
<section class="card not-found">
  <h1>${data.title}</h1>
  <p>${data.message}</p>
  ${data.link ? html`<p><a class="btn" href="${data.link.href}">${data.link.label}</a></p>` : ''}
</section>
</main>`,
  )
}
