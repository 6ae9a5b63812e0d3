import { html } from '../html'
import { csrfField, documentShell } from '../layout'
import type { SigninData } from '../types'

/** Sign-in with the admin token; no nav, nothing about the orgs. URL: `GET /signin`, form `POST /signin`. */
export function signinPage(data: SigninData = {}): string {
  return documentShell(
    'Sign in',
    'bare',
    html`<main class="signin">
  <div class="signin-brand"><span class="brand-mark" aria-hidden="true"></span>Lectr</div>
  <form class="card signin-card" method="post" action="/signin">
    <h1>Sign in</h1>
    <p class="muted">Use the admin token Lectr printed on its first start, or <code>LECTR_ADMIN_TOKEN</code>.</p>
    ${data.error ? html`<div class="notice notice-error" role="alert">${data.error}</div>` : ''}
    ${data.csrf ? csrfField(data.csrf) : ''}
    ${data.next ? html`<input type="hidden" name="next" value="${data.next}">` : ''}
    <div class="field">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" required autofocus autocomplete="current-password" spellcheck="false"${data.error ? html` aria-invalid="true"` : ''}>
    </div>
    <button type="submit" class="btn btn-primary btn-block">Sign in</button>
  </form>
</main>`,
  )
}
