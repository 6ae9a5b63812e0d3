import { formatCount, formatDateTime, formatRelative, providerLabel } from '../format'
import { html, type SafeHtml } from '../html'
import { csrfField, layout } from '../layout'
import { notice } from '../partials/notice'
import { pageHeader } from '../partials/page-header'
import type { LayoutData, ModelEntry, PriceOverride, ProviderInForce, RegistryData, RegistryStatus, UnpricedModel } from '../types'

/** Registry prices are USD per 1M tokens; "$2.50", and as many decimals as a cheap model needs ("$0.075"). */
export function formatPerMillion(usd: number | undefined): string {
  if (usd === undefined) return '—'
  const text = usd.toFixed(Math.max(2, Math.min(6, (String(usd).split('.')[1] ?? '').length)))
  return `$${text}`
}

function status(s: RegistryStatus, now: string | null | undefined): SafeHtml {
  return html`<dl class="details details-inline">
  <dt>Source</dt><dd><code>${s.source}</code></dd>
  <dt>Version</dt><dd><code>${s.version}</code></dd>
  <dt>Loaded</dt><dd>${when(s.loadedAt, now)}</dd>
${s.url === undefined ? '' : html`  <dt>URL</dt><dd><code class="url">${s.url}</code></dd>
  <dt>Checked</dt><dd>${s.checkedAt ? when(s.checkedAt, now) : html`<span class="muted">not yet</span>`}${s.nextCheckAt ? html` <span class="muted">· next ${formatDateTime(s.nextCheckAt)} UTC</span>` : ''}</dd>`}
</dl>`
}

function when(iso: string, now: string | null | undefined): SafeHtml {
  return html`<time datetime="${iso}">${formatDateTime(iso)} UTC</time>${now ? html` <span class="muted">(${formatRelative(iso, now)})</span>` : ''}`
}

function errorBox(errors: string[] | null, fromUrl: boolean): SafeHtml {
  if (!errors || errors.length === 0) return html``
  const advice = fromUrl
    ? html`<p><strong>The last check of the registry URL failed</strong>, so the registry above stays in force. Lectr checks again on schedule, or now with Reload.</p>`
    : html`<p><strong>The last reload failed</strong>, so the registry above stays in force. Fix the file and reload.</p>`
  return html`<div class="error-box" role="alert">
  ${advice}
  <ul>${errors.map((e) => html`<li><code>${e}</code></li>`)}</ul>
</div>`
}

function price(m: ModelEntry, which: 'input' | 'cachedInput' | 'output'): SafeHtml {
  if (!m.price) return html`<span class="muted">—</span>`
  // Absent cachedInput means cached tokens are charged at the input price; shown muted as a default.
  if (which === 'cachedInput' && m.price.cachedInput === undefined) {
    return html`<span class="muted" title="No cached price: cached tokens are charged at the input price">${formatPerMillion(m.price.input)}</span>`
  }
  return html`${formatPerMillion(m.price[which])}`
}

function downgrades(m: ModelEntry): SafeHtml {
  const d = m.downgrade
  if (!d || (!d.conservative && !d.aggressive)) return html`<span class="muted">—</span>`
  return html`${d.conservative ? html`<div><code>${d.conservative}</code></div>` : ''}${d.aggressive ? html`<div><code>${d.aggressive}</code> <span class="muted">aggressive</span></div>` : ''}`
}

function modelRow(m: ModelEntry): SafeHtml {
  return html`<tr>
  <td class="cell-primary" data-label="Model"><code class="model">${m.id}</code>${m.retired ? html` <span class="tag" title="The provider no longer serves this model; kept to price old traffic.">retired</span>` : ''}${m.routingTarget ? html` <span class="tag">routing target</span>` : ''}${m.price?.tiers?.length ? html` <span class="tag" title="Prices change above a prompt size; the base tier is shown.">tiered</span>` : ''}</td>
  <td data-label="Provider">${providerLabel(m.provider)}</td>
  <td class="num" data-label="Input">${m.price ? price(m, 'input') : html`<span class="muted">unpriced</span>`}</td>
  <td class="num" data-label="Cached input">${price(m, 'cachedInput')}</td>
  <td class="num" data-label="Output">${price(m, 'output')}</td>
  <td data-label="Downgrade to">${downgrades(m)}</td>
</tr>`
}

function providerRow(p: ProviderInForce): SafeHtml {
  const url =
    p.baseUrl === null
      ? html`<span class="muted">set per org in <a href="/settings/azure">Settings → Azure</a></span>`
      : html`<code class="url">${p.baseUrl}</code>${p.overriddenBy ? html` <span class="badge badge-warn" title="Set by ${p.overriddenBy}; the registry's base URL is not used.">override: ${p.overriddenBy}</span>` : ''}`
  return html`<tr>
  <td class="cell-primary" data-label="Provider">${providerLabel(p.id)}</td>
  <td data-label="Base URL">${url}</td>
  <td data-label="Detected by prefix">${p.prefixes.length ? p.prefixes.map((x, i) => html`${i ? ' ' : ''}<code>${x}</code>`) : html`<span class="muted">—</span>`}</td>
</tr>`
}

function providersCard(providers: ProviderInForce[] | undefined): SafeHtml {
  if (!providers) return html``
  return html`<section class="card card-flush">
  <h2 class="card-title card-title-padded">Providers <span class="muted small">where Lectr sends each provider's requests</span></h2>
  <div class="table-wrap"><table class="table table-compact table-stack">
    <thead><tr><th scope="col">Provider</th><th scope="col">Base URL in force</th><th scope="col">Detected by prefix</th></tr></thead>
    <tbody>${providers.map(providerRow)}</tbody>
  </table></div>
</section>`
}

/** The price fields of the add-a-price form: USD per 1M tokens, cached input optional. */
function priceFields(csrf: string, provider: string, model: string, idPrefix: string): SafeHtml {
  return html`${csrfField(csrf)}<input type="hidden" name="provider" value="${provider}"><input type="hidden" name="model" value="${model}">
    <label for="${idPrefix}-input">Input</label>
    <input id="${idPrefix}-input" name="input" type="number" min="0" step="any" required inputmode="decimal" placeholder="$ / 1M" class="input-narrow">
    <label for="${idPrefix}-cached">Cached</label>
    <input id="${idPrefix}-cached" name="cachedInput" type="number" min="0" step="any" inputmode="decimal" placeholder="optional" class="input-narrow">
    <label for="${idPrefix}-output">Output</label>
    <input id="${idPrefix}-output" name="output" type="number" min="0" step="any" required inputmode="decimal" placeholder="$ / 1M" class="input-narrow">
    <button type="submit" class="btn btn-small">Add price</button>`
}

function unpricedRow(csrf: string, m: UnpricedModel, index: number): SafeHtml {
  return html`<tr>
  <td class="cell-primary" data-label="Model"><code class="model">${m.model}</code></td>
  <td data-label="Provider">${providerLabel(m.provider)}</td>
  <td class="num" data-label="Unpriced requests">${formatCount(m.unpricedRequests)}</td>
  <td data-label="Add a price (USD per 1M tokens)"><form class="form-inline" method="post" action="/registry/overrides">${priceFields(csrf, m.provider, m.model, `unpriced-${index}`)}</form></td>
</tr>`
}

function unpricedCard(csrf: string, rows: UnpricedModel[] | undefined): SafeHtml {
  if (!rows) return html``
  return html`<section class="card card-flush" id="unpriced">
  <h2 class="card-title card-title-padded">Unpriced models seen in the last 30 days <span class="muted small">every org; add a price and it applies to new requests at once</span></h2>
  ${
    rows.length === 0
      ? html`<p class="muted card-title-padded">Every model seen in the last 30 days has a price.</p>`
      : html`<div class="table-wrap"><table class="table table-compact table-stack">
    <thead><tr><th scope="col">Model</th><th scope="col">Provider</th><th scope="col" class="num">Unpriced requests</th><th scope="col">Add a price (USD per 1M tokens)</th></tr></thead>
    <tbody>${rows.map((m, i) => unpricedRow(csrf, m, i))}</tbody>
  </table></div>`
  }
</section>`
}

function overrideRow(csrf: string, o: PriceOverride): SafeHtml {
  const m: ModelEntry = { id: o.model, provider: o.provider, price: o.price }
  return html`<tr>
  <td class="cell-primary" data-label="Model"><code class="model">${o.model}</code></td>
  <td data-label="Provider">${providerLabel(o.provider)}</td>
  <td class="num" data-label="Input">${price(m, 'input')}</td>
  <td class="num" data-label="Cached input">${price(m, 'cachedInput')}</td>
  <td class="num" data-label="Output">${price(m, 'output')}</td>
  <td data-label="Updated"><time datetime="${o.updatedAt}">${formatDateTime(o.updatedAt)} UTC</time></td>
  <td data-label=""><form method="post" action="/registry/overrides/remove" data-confirm="Remove this price? New requests to this model are priced by the registry again (or not at all).">${csrfField(csrf)}<input type="hidden" name="provider" value="${o.provider}"><input type="hidden" name="model" value="${o.model}"><button type="submit" class="btn btn-small btn-danger">Remove</button></form></td>
</tr>`
}

function overridesCard(frame: LayoutData, data: RegistryData): SafeHtml {
  if (!data.overrides) return html``
  const repriceButton = (days: number) =>
    html`<form method="post" action="/registry/reprice" class="form-inline">${csrfField(frame.csrf)}<input type="hidden" name="days" value="${String(days)}"><button type="submit" class="btn btn-small">Re-price the last ${String(days)} days</button></form>`
  return html`<section class="card card-flush" id="overrides">
  <h2 class="card-title card-title-padded">Prices added by an admin <span class="muted">(${formatCount(data.overrides.length)})</span> <span class="muted small">they win over the registry's price; prices in USD per 1M tokens</span></h2>
  ${
    data.overrides.length === 0
      ? html`<p class="muted card-title-padded">None yet. Add a price to an unpriced model above, or with <code>PUT /api/registry/overrides/:provider/:model</code>.</p>`
      : html`<div class="table-wrap"><table class="table table-compact table-stack">
    <thead><tr><th scope="col">Model</th><th scope="col">Provider</th><th scope="col" class="num">Input</th><th scope="col" class="num">Cached input</th><th scope="col" class="num">Output</th><th scope="col">Updated</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
    <tbody>${data.overrides.map((o) => overrideRow(frame.csrf, o))}</tbody>
  </table></div>`
  }
</section>
<section class="card" id="reprice">
  <h2 class="card-title">Re-price past requests</h2>
    <p class="muted small">Past requests keep the cost they were recorded with. Re-pricing gives a cost to ${data.orgName ? html`<strong>${data.orgName}</strong>'s` : 'this org\'s'} requests that have token counts but no cost, with the prices now in force; priced requests never change.</p>
    <div class="form-inline">${repriceButton(7)} ${repriceButton(30)}</div>
</section>`
}

/** Registry: where prices and downgrade targets come from, its last reload, and a reload button. URL: `/registry`. */
export function registryPage(frame: LayoutData, data: RegistryData): string {
  const models = [...data.models].sort((a, b) => a.provider.localeCompare(b.provider) || a.id.localeCompare(b.id))
  return layout(
    frame,
    html`${pageHeader(
      'Registry',
      'Providers, models, prices and downgrade targets. A broken file never replaces the last good registry.',
      html`<form method="post" action="/registry/reload">${csrfField(frame.csrf)}<button type="submit" class="btn btn-primary">Reload</button></form>`,
    )}
${notice(data.notice, data.noticeKind ?? 'success')}
<section class="card">
  ${status(data.status, data.now)}
  ${errorBox(data.status.lastError, data.status.url !== undefined)}
</section>
${unpricedCard(frame.csrf, data.unpriced)}
${overridesCard(frame, data)}
${providersCard(data.providers)}
<section class="card card-flush">
  <h2 class="card-title card-title-padded">Models <span class="muted">(${formatCount(models.length)})</span> <span class="muted small">prices in USD per 1M tokens</span></h2>
  <div class="table-wrap"><table class="table table-compact table-stack">
    <thead><tr><th scope="col">Model</th><th scope="col">Provider</th><th scope="col" class="num">Input</th><th scope="col" class="num">Cached input</th><th scope="col" class="num">Output</th><th scope="col">Downgrade to</th></tr></thead>
    <tbody>${models.map(modelRow)}</tbody>
  </table></div>
</section>`,
  )
}
