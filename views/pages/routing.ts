import { formatCount, formatDateTime, formatLatency, formatPercent, formatUsd, plural, providerLabel } from '../format'
import { html, type SafeHtml } from '../html'
import { csrfField, layout } from '../layout'
import { emptyState } from '../partials/empty-state'
import { notice } from '../partials/notice'
import { pageHeader } from '../partials/page-header'
import { shownString } from '../../src/limits'
import type { ArmRow, DryRunRuleResult, LayoutData, Rule, RoutingData, RoutingDryRun, RoutingVersionRow } from '../types'

type Target = Rule['target']

function target(t: Target): SafeHtml {
  return html`<span class="route-target">${providerLabel(t.provider)} <code class="model">${shownString(t.model)}</code></span>`
}

/** A rule's conditions in words: "model gpt-4o · task classification", or "every request" for an empty match. */
export function matchSummary(m: Rule['match']): SafeHtml {
  const parts: SafeHtml[] = []
  const list = (label: string, values: readonly string[] | undefined) => {
    if (values?.length) parts.push(html`<span class="match-part"><span class="muted">${label}</span> ${values.map((v, i) => html`${i ? html`<span class="muted"> or </span>` : ''}<span class="tag">${shownString(v)}</span>`)}</span>`)
  }
  list('model', m.model)
  list('provider', m.provider?.map(providerLabel))
  list('task', m.task)
  list('feature', m.feature)
  list('endpoint', m.endpoint)
  if (m.stream !== undefined) parts.push(html`<span class="match-part"><span class="muted">stream</span> <span class="tag">${m.stream ? 'yes' : 'no'}</span></span>`)
  return parts.length ? html`<div class="match">${parts}</div>` : html`<span class="muted">every request</span>`
}

function ruleRow(rule: Rule): SafeHtml {
  const fallbacks = rule.fallbacks?.length ? html`${rule.fallbacks.map((f, i) => html`${i ? html`<span class="muted"> then </span>` : ''}${target(f)}`)}` : html`<span class="muted">none</span>`
  return html`<tr${rule.enabled ? '' : html` class="is-disabled"`}>
  <td class="cell-primary" data-label="Rule"><code class="rule-id">${rule.id}</code> ${rule.enabled ? html`<span class="badge badge-ok">on</span>` : html`<span class="badge">off</span>`}</td>
  <td data-label="Match">${matchSummary(rule.match)}</td>
  <td data-label="Target">${target(rule.target)}</td>
  <td class="num" data-label="Share">${rule.percent ?? 100}%</td>
  <td data-label="Fallbacks">${fallbacks}</td>
</tr>`
}

function rulesTable(data: RoutingData): SafeHtml {
  if (data.rules.length === 0) {
    return emptyState(
      'No routing rules',
      html`Requests go as sent. Write rules in the editor below, or use <a href="/recommendations">Try as a canary</a> on a recommendation.`,
    )
  }
  return html`<div class="table-wrap"><table class="table table-stack table-routing">
  <thead><tr><th scope="col">Rule</th><th scope="col">Match</th><th scope="col">Target</th><th scope="col" class="num">Share</th><th scope="col">Fallbacks</th></tr></thead>
  <tbody>${data.rules.map(ruleRow)}</tbody>
</table></div>`
}

const METRICS: { label: string; value: (a: ArmRow) => string }[] = [
  { label: 'Requests', value: (a) => formatCount(a.requests) },
  { label: 'Error rate', value: (a) => formatPercent(a.requests ? a.errors / a.requests : null) },
  { label: 'Avg latency', value: (a) => formatLatency(a.avgLatencyMs) },
  { label: 'Avg output tokens', value: (a) => formatCount(a.avgOutputTokens === null ? null : Math.round(a.avgOutputTokens)) },
  { label: 'Cost / request', value: (a) => formatUsd(a.costPerRequestUsd) },
]

function armCard(ruleId: string, arms: ArmRow[], inForce: Rule | undefined): SafeHtml {
  const canary = arms.find((a) => a.arm === 'canary')
  const control = arms.find((a) => a.arm === 'control')
  const cell = (a: ArmRow | undefined, m: (typeof METRICS)[number]) => (a ? m.value(a) : '—')
  return html`<section class="arm-card">
  <h3 class="arm-title"><code class="rule-id">${ruleId}</code>${inForce ? html` <span class="muted">to</span> ${target(inForce.target)}` : html` <span class="badge">not in force</span>`}</h3>
  <table class="table table-compact table-arms">
    <thead><tr><th scope="col">Metric</th><th scope="col" class="num">Canary</th><th scope="col" class="num">Control</th></tr></thead>
    <tbody>${METRICS.map((m) => html`<tr><th scope="row">${m.label}</th><td class="num">${cell(canary, m)}</td><td class="num">${cell(control, m)}</td></tr>`)}</tbody>
  </table>
</section>`
}

function armsSection(data: RoutingData): SafeHtml {
  const byRule = new Map<string, ArmRow[]>()
  for (const a of data.arms) byRule.set(a.ruleId, [...(byRule.get(a.ruleId) ?? []), a])
  const body = byRule.size
    ? html`<div class="arm-grid">${[...byRule].map(([id, arms]) => armCard(id, arms, data.rules.find((r) => r.id === id)))}</div>`
    : emptyState('No routed requests yet', 'Once a rule applies to requests, its canary and control arms are compared here.')
  return html`<section class="card">
  <h2 class="card-title">Canary and control</h2>
  <p class="hint arm-hint">Each rule's arms over its lifetime: the canary went to the rule's target, the control as sent.</p>
  ${body}
</section>`
}

function versionRow(v: RoutingVersionRow, csrf: string): SafeHtml {
  const action = v.inForce
    ? html`<span class="badge badge-ok">in force</span>`
    : html`<form method="post" action="/settings/routing/restore">
        ${csrfField(csrf)}
        <input type="hidden" name="version" value="${v.version}">
        <button type="submit" class="btn btn-small">Restore</button>
      </form>`
  return html`<tr>
  <td class="cell-primary" data-label="Version">Version ${v.version}</td>
  <td class="nowrap" data-label="Saved"><time datetime="${v.updatedAt}">${formatDateTime(v.updatedAt)}</time></td>
  <td class="num" data-label="Rules">${formatCount(v.ruleCount)}</td>
  <td class="actions">${action}</td>
</tr>`
}

function versionsSection(data: RoutingData, csrf: string): SafeHtml {
  return html`<section class="card card-flush">
  <h2 class="card-title card-title-padded">Versions</h2>
  ${
    data.versions.length === 0
      ? emptyState('No versions yet', 'Every save is kept here as a new version; any of them can be restored.')
      : html`<div class="table-wrap"><table class="table table-stack table-versions">
    <thead><tr><th scope="col">Version</th><th scope="col">Saved</th><th scope="col" class="num">Rules</th><th scope="col" class="actions"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${data.versions.map((v) => versionRow(v, csrf))}</tbody>
  </table></div>`
  }
</section>`
}

function signedUsd(n: number): string {
  return n > 0 ? `+${formatUsd(n)}` : n < 0 ? `−${formatUsd(-n)}` : formatUsd(0)
}

function skippedText(skipped: Record<string, number>): SafeHtml {
  const entries = Object.entries(skipped).filter(([, n]) => n > 0)
  return entries.length ? html`${entries.map(([why, n], i) => html`${i ? ', ' : ''}${formatCount(n)} <span class="muted">${why}</span>`)}` : html`<span class="muted">none</span>`
}

function dryRunRow(rule: Rule, r: DryRunRuleResult | undefined): SafeHtml {
  if (!r) {
    return html`<tr><td class="cell-primary" data-label="Rule"><code class="rule-id">${rule.id}</code></td><td colspan="7" data-label="Matched"><span class="muted">${rule.enabled ? 'no figures' : 'off: matches nothing'}</span></td></tr>`
  }
  const percent = rule.percent ?? 100
  return html`<tr>
  <td class="cell-primary" data-label="Rule"><code class="rule-id">${rule.id}</code> <span class="muted">to</span> ${target(rule.target)}</td>
  <td class="num" data-label="Matched">${formatCount(r.matched)}</td>
  <td data-label="Skipped">${skippedText(r.skipped)}</td>
  <td class="num" data-label="Cost as it was">${formatUsd(r.costUsd)}</td>
  <td class="num" data-label="At the target">${formatUsd(r.projectedCostUsd)}</td>
  <td class="num" data-label="Difference">${signedUsd(r.deltaUsd)}</td>
  <td class="num" data-label="Per month (100%)">${signedUsd(r.monthlyDeltaUsd)}</td>
  <td class="num" data-label="Per month (${percent}%)">${signedUsd(r.atPercent.monthlyDeltaUsd)} <span class="muted">at ${percent}%</span></td>
</tr>`
}

function dryRunSection(dry: RoutingDryRun): SafeHtml {
  const byId = new Map(dry.results.map((r) => [r.ruleId, r]))
  return html`<section class="card card-flush dry-run" id="dry-run">
  <h2 class="card-title card-title-padded">Dry run: the last ${formatCount(dry.windowDays)} days replayed</h2>
  <p class="hint dry-run-hint">Nothing is saved yet. Each rule's requests as recorded, priced as they were and at the rule's target; a negative difference saves money. Save below to put these rules in force.</p>
  ${
    dry.rules.length === 0
      ? emptyState('No rules', 'Saving this empty set turns routing off: every request goes as sent.')
      : html`<div class="table-wrap"><table class="table table-stack table-dry-run">
    <thead><tr><th scope="col">Rule</th><th scope="col" class="num">Matched</th><th scope="col">Skipped</th><th scope="col" class="num">Cost as it was</th><th scope="col" class="num">At the target</th><th scope="col" class="num">Difference</th><th scope="col" class="num">Per month (100%)</th><th scope="col" class="num">Per month (at share)</th></tr></thead>
    <tbody>${dry.rules.map((rule) => dryRunRow(rule, byId.get(rule.id)))}</tbody>
  </table></div>`
  }
</section>`
}

function problemsBox(problems: string[] | undefined): SafeHtml {
  if (!problems?.length) return html``
  return html`<div class="notice notice-error" role="alert" id="routing-problems">
  <strong>The rules were not saved: ${plural(problems.length, 'problem')}.</strong>
  <ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>
</div>`
}

function editor(data: RoutingData, csrf: string): SafeHtml {
  const dry = data.dryRun
  return html`<section class="card editor" id="editor">
  <h2 class="card-title">Edit the rules</h2>
  <form method="post" action="/settings/routing/dry-run">
    ${csrfField(csrf)}
    ${dry ? html`<input type="hidden" name="checked" value="${dry.checked}">` : ''}
    <label for="routing-rules" class="visually-hidden">Rule set (JSON)</label>
    <textarea id="routing-rules" name="rules" rows="18" spellcheck="false" autocomplete="off"${data.problems?.length ? html` aria-invalid="true" aria-describedby="routing-problems"` : ''}>${data.editor}</textarea>
    <p class="hint">JSON: <code>{"rules": [{"id", "enabled", "match", "target", "percent", "fallbacks"}]}</code>, first matching rule applies.
    A dry run replays the last 30 days without saving; Save appears after a dry run of the same rules.</p>
    <div class="form-actions">
      <button type="submit" class="btn${dry ? '' : ' btn-primary'}">Dry run</button>
      ${dry ? html`<button type="submit" class="btn btn-primary" formaction="/settings/routing/save">Save as version ${data.version + 1}</button>` : ''}
    </div>
  </form>
</section>`
}

/** Settings → Routing: the rules in force, their arms, a dry-run-then-save editor and every version. URL: `/settings/routing`. */
export function routingPage(frame: LayoutData, data: RoutingData): string {
  const status = data.version
    ? html`Version <strong>${data.version}</strong>, saved <time datetime="${data.updatedAt ?? ''}">${data.updatedAt ? formatDateTime(data.updatedAt) : ''}</time>. The first enabled rule whose match holds sends its share of requests to its target.`
    : html`No rules saved yet: every request goes as sent.`
  return layout(
    frame,
    html`${pageHeader('Routing', status)}
${notice(data.notice)}
${notice(data.error, 'error')}
${problemsBox(data.problems)}
<section class="card card-flush">
  <h2 class="card-title card-title-padded">Rules in force</h2>
  ${rulesTable(data)}
</section>
${data.dryRun ? dryRunSection(data.dryRun) : ''}
${editor(data, frame.csrf)}
${armsSection(data)}
${versionsSection(data, frame.csrf)}`,
  )
}
