import { formatCount, formatDateTime, formatLatency, providerLabel } from '../format'
import { html, type SafeHtml } from '../html'
import { layout } from '../layout'
import { eventCost } from '../partials/cost'
import { pageHeader } from '../partials/page-header'
import type { EventDetailData, LayoutData, LectrEvent } from '../types'
import { shownString } from '../../src/limits'

const DETECTION: Record<string, string> = {
  header: 'X-Lectr-Provider header',
  exact: 'model id in the registry',
  prefix: 'model id prefix',
  fallback: 'fallback (not detected)',
  endpoint: "the endpoint (Anthropic's Messages API)",
}

const none = html`<span class="muted">—</span>`
// Stored strings are shown cut (`shownString`): a database from before the length limits may hold huge ones.
const text = (v: string | null) => (v === null || v === '' ? none : html`${shownString(v)}`)
const code = (v: string | null) => (v === null || v === '' ? none : html`<code>${shownString(v)}</code>`)
const count = (v: number | null) => (v === null ? none : html`${formatCount(v)}`)
const yesNo = (v: boolean) => html`${v ? 'yes' : 'no'}`

type Field = [label: string, value: SafeHtml]

/** Every field of the event, grouped the way a person debugging a request reads them. */
function sections(e: LectrEvent): [title: string, fields: Field[]][] {
  const hasUsage = e.inputTokens !== null || e.outputTokens !== null
  return [
    [
      'Request',
      [
        ['Id', html`<code>${e.id}</code>`],
        ['Time', html`<time datetime="${e.time}">${formatDateTime(e.time)} UTC</time>`],
        ['Org', code(e.org)],
        ['Endpoint', html`<code>${e.endpoint}</code>`],
        ['Stream', yesNo(e.stream)],
        ['Model (requested)', code(e.model)],
        ['Model (as answered)', code(e.responseModel)],
        ['Feature', text(e.feature)],
        ['Task', text(e.task)],
      ],
    ],
    [
      'Routing and outcome',
      [
        ['Provider', html`${providerLabel(e.provider)} <span class="muted">(${e.provider})</span>`],
        ['Detection', html`${DETECTION[e.detection] ?? e.detection}`],
        ['Provider unknown', yesNo(e.providerUnknown)],
        ['Status', html`${e.status}`],
        ['Error code', code(e.errorCode)],
        ['Latency (total)', html`${formatLatency(e.latencyMs)}`],
        ['Time to first byte', e.ttfbMs === null ? none : html`${formatLatency(e.ttfbMs)}`],
        ['Routing rule', code(e.ruleId ?? null)],
        ['Arm', text(e.arm ?? null)],
        ['Rule skipped because', code(e.routeSkipped ?? null)],
        ['Routed to provider', e.routedProvider ? html`${providerLabel(e.routedProvider)} <span class="muted">(${e.routedProvider})</span>` : none],
        ['Routed to model', code(e.routedModel ?? null)],
        ['Upstream attempts', count(e.attempts ?? null)],
      ],
    ],
    [
      'Usage and cost',
      [
        ['Input tokens', count(e.inputTokens)],
        ['Cached input tokens', count(e.cachedInputTokens)],
        ['Cache write tokens (5 min)', count(e.cacheWriteTokens)],
        ['Cache write tokens (1 hour)', count(e.cacheWrite1hTokens)],
        ['Output tokens', count(e.outputTokens)],
        ['Reasoning tokens', count(e.reasoningTokens)],
        ['Usage estimated', html`${e.usageEstimated ? 'yes: the stream was cut off, these are the tokens seen so far' : 'no'}`],
        ['Cost', eventCost(e.costUsd, hasUsage)],
        ['Cost at the requested model', e.routedModel ? eventCost(e.baselineCostUsd ?? null, hasUsage) : none],
        ['Registry version', code(e.registryVersion)],
      ],
    ],
  ]
}

/** One event in full. URL: `/events/:id`. */
export function eventDetailPage(frame: LayoutData, data: EventDetailData): string {
  const e = data.event
  return layout(
    frame,
    html`<p class="crumbs"><a href="/events">← Events</a></p>
${pageHeader('Event', html`<code>${shownString(e.model) ?? 'no model'}</code> · ${formatDateTime(e.time)} UTC`)}
<div class="detail-grid">
${sections(e).map(
  ([title, fields]) => html`<section class="card">
  <h2 class="card-title">${title}</h2>
  <dl class="details">
    ${fields.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}
  </dl>
</section>`,
)}
</div>`,
  )
}
