import { formatDate } from '../format'
import { html, type SafeHtml } from '../html'
import { csrfField, layout } from '../layout'
import { emptyState } from '../partials/empty-state'
import { notice } from '../partials/notice'
import { pageHeader } from '../partials/page-header'
import type { KeysData, LayoutData, OrgKey } from '../types'

function newKeyBox(key: string): SafeHtml {
  return html`<section class="new-key" role="status">
  <p class="new-key-title">Your new org key. Copy it now: it is shown only this once.</p>
  <div class="new-key-row">
    <input id="new-key" class="new-key-value" type="text" value="${key}" readonly aria-label="New org key" spellcheck="false">
    <button type="button" class="btn btn-small" data-copy="#new-key" hidden>Copy</button>
  </div>
  <p class="hint">Send it as the <code>X-Lectr-Key</code> header. Lectr stores only its hash.</p>
</section>`
}

function createForm(csrf: string): SafeHtml {
  return html`<form class="form-inline" method="post" action="/settings/keys">
  ${csrfField(csrf)}
  <label for="key-label">Label <span class="muted">(optional)</span></label>
  <input id="key-label" name="label" type="text" maxlength="100" placeholder="e.g. production, staging" autocomplete="off">
  <button type="submit" class="btn btn-primary">Create key</button>
</form>`
}

function keyRow(key: OrgKey, csrf: string): SafeHtml {
  const revoke = key.revokedAt
    ? html`<span class="muted">Revoked ${formatDate(key.revokedAt)}</span>`
    : html`<form method="post" action="/settings/keys/${encodeURIComponent(key.id)}/revoke" data-confirm="Revoke this key? Clients using it will get 401.">
        ${csrfField(csrf)}
        <button type="submit" class="btn btn-small btn-danger">Revoke</button>
      </form>`
  return html`<tr${key.revokedAt ? html` class="is-revoked"` : ''}>
  <td class="cell-primary" data-label="Key"><code>${key.prefix}…</code></td>
  <td data-label="Label">${key.label ?? html`<span class="muted">—</span>`}</td>
  <td class="nowrap" data-label="Created"><time datetime="${key.createdAt}">${formatDate(key.createdAt)}</time></td>
  <td data-label="Status">${key.revokedAt ? html`<span class="badge badge-bad">revoked</span>` : html`<span class="badge badge-ok">active</span>`}</td>
  <td class="actions">${revoke}</td>
</tr>`
}

/** Active keys first, then newest first: the list people scan to find a key to revoke. */
function sortKeys(keys: readonly OrgKey[]): OrgKey[] {
  return [...keys].sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || b.createdAt.localeCompare(a.createdAt))
}

/** Settings → Keys: the org keys clients send as `X-Lectr-Key`. URL: `/settings/keys`. */
export function keysPage(frame: LayoutData, data: KeysData): string {
  const keys = sortKeys(data.keys)
  return layout(
    frame,
    html`${pageHeader('Org keys', 'One org key covers every provider. Create one per environment so each can be revoked alone.')}
${notice(data.error, 'error')}
${notice(data.notice)}
${data.newKey ? newKeyBox(data.newKey) : ''}
<section class="card">
  <h2 class="card-title">Create a key</h2>
  ${createForm(frame.csrf)}
</section>
<section class="card card-flush">
  ${
    keys.length === 0
      ? emptyState('No keys', 'Create a key above; clients send it in the X-Lectr-Key header.')
      : html`<div class="table-wrap"><table class="table table-stack">
    <thead><tr><th scope="col">Key</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col" class="actions"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${keys.map((k) => keyRow(k, frame.csrf))}</tbody>
  </table></div>`
  }
</section>`,
  )
}
