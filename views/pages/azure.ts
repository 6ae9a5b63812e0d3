import { html, type SafeHtml } from '../html'
import { csrfField, layout } from '../layout'
import { notice } from '../partials/notice'
import { pageHeader } from '../partials/page-header'
import type { AzureData, FieldError, LayoutData } from '../types'

/** Offered in the API version field; any other version can still be typed. */
export const KNOWN_AZURE_API_VERSIONS = ['2024-10-21', '2024-06-01', '2024-02-01', '2024-09-01-preview', '2025-04-01-preview', 'v1']

const FIELD_LABELS: Record<string, string> = { endpoint: 'Endpoint', apiVersion: 'API version' }

function errorsFor(errors: FieldError[], field: string): FieldError[] {
  return errors.filter((e) => e.field === field)
}

function fieldErrors(errors: FieldError[], field: string): SafeHtml {
  const mine = errorsFor(errors, field)
  if (mine.length === 0) return html``
  return html`<ul class="field-errors" id="${field}-errors">${mine.map((e) => html`<li>${e.message}</li>`)}</ul>`
}

function errorSummary(errors: FieldError[]): SafeHtml {
  if (errors.length === 0) return html``
  return html`<div class="notice notice-error" role="alert">
  <strong>The settings were not saved.</strong>
  <ul>${errors.map((e) => html`<li>${e.field ? html`${FIELD_LABELS[e.field] ?? e.field}: ` : ''}${e.message}</li>`)}</ul>
</div>`
}

function invalid(errors: FieldError[], field: string): SafeHtml {
  return errorsFor(errors, field).length ? html` aria-invalid="true" aria-describedby="${field}-errors"` : html``
}

function form(frame: LayoutData, data: AzureData, errors: FieldError[]): SafeHtml {
  const values = data.form ?? data.saved ?? { endpoint: '', apiVersion: '' }
  return html`<form class="form" method="post" action="/settings/azure">
  ${csrfField(frame.csrf)}
  <div class="field">
    <label for="azure-endpoint">Endpoint</label>
    <input id="azure-endpoint" name="endpoint" type="url" value="${values.endpoint}" placeholder="https://my-resource.openai.azure.com" required autocomplete="off" spellcheck="false"${invalid(errors, 'endpoint')}>
    <p class="hint">Your Azure OpenAI resource, <code>https://&lt;resource-name&gt;.openai.azure.com</code>. No path, query or credentials.</p>
    ${fieldErrors(errors, 'endpoint')}
  </div>
  <div class="field">
    <label for="azure-api-version">API version</label>
    <input id="azure-api-version" name="apiVersion" type="text" value="${values.apiVersion}" list="azure-api-versions" placeholder="2024-10-21" required autocomplete="off" spellcheck="false"${invalid(errors, 'apiVersion')}>
    <datalist id="azure-api-versions">${KNOWN_AZURE_API_VERSIONS.map((v) => html`<option value="${v}">`)}</datalist>
    <p class="hint"><code>v1</code> selects Azure's v1 API (<code>/openai/v1/…</code>, no <code>api-version</code> parameter).</p>
    ${fieldErrors(errors, 'apiVersion')}
  </div>
  <div class="form-actions">
    <button type="submit" class="btn btn-primary">Save</button>
  </div>
</form>`
}

function deleteForm(frame: LayoutData): SafeHtml {
  return html`<form method="post" action="/settings/azure/delete" class="danger-zone" data-confirm="Remove the Azure settings? Requests with X-Lectr-Provider: azure will fail until they are set again.">
  ${csrfField(frame.csrf)}
  <div>
    <strong>Remove Azure settings</strong>
    <p class="hint">Azure requests are refused until an endpoint is configured again.</p>
  </div>
  <button type="submit" class="btn btn-danger">Remove</button>
</form>`
}

function howToCall(): SafeHtml {
  return html`<h2 class="card-title">Calling Azure through Lectr</h2>
<p>Azure is not detected from the model name: send <code>X-Lectr-Provider: azure</code> and use your
<strong>deployment name</strong> as the <code>model</code>. Lectr sends the request to your endpoint with your key in the
<code>api-key</code> header.</p>
<pre class="code-block"><code>curl http://HOST:8080/v1/chat/completions \\
  -H "X-Lectr-Key: $LECTR_ORG_KEY" \\
  -H "X-Lectr-Provider: azure" \\
  -H "Authorization: Bearer $AZURE_OPENAI_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "my-gpt-4o-deployment",
    "messages": [{"role": "user", "content": "Hello"}]
  }'</code></pre>
<p class="hint">With the OpenAI SDK: <code>baseURL: "http://HOST:8080/v1"</code>, your Azure key as <code>apiKey</code>, and
<code>defaultHeaders: { "X-Lectr-Key": ORG_KEY, "X-Lectr-Provider": "azure" }</code>.</p>`
}

/** Settings → Azure: the org's endpoint and API version. URL: `/settings/azure`. */
export function azurePage(frame: LayoutData, data: AzureData): string {
  const errors = data.errors ?? []
  const status = data.saved
    ? html`Configured: <code>${data.saved.endpoint}</code>, API version <code>${data.saved.apiVersion}</code>.`
    : html`Not configured: requests with <code>X-Lectr-Provider: azure</code> are refused until it is.`
  return layout(
    frame,
    html`${pageHeader('Azure OpenAI', status)}
${notice(data.notice)}
${errorSummary(errors)}
<div class="columns">
  <section class="card">
    <h2 class="card-title">Endpoint</h2>
    ${form(frame, data, errors)}
    ${data.saved ? deleteForm(frame) : ''}
  </section>
  <section class="card">
    ${howToCall()}
  </section>
</div>`,
  )
}
