import { DAY_MS } from '../domain'
import { Elysia } from 'elysia'
import { runDryRun } from '../operations/dry-run'
import { restoreRouting } from '../operations/routing'
import { CANARY_PERCENT } from '../routing/canary-rule'
import type { Rule } from '../routing/schema'
import { validateRuleSet } from '../routing/validate'
import { routingPage } from '../../views/pages/routing'
import type { RoutingData } from '../../views/types'
import { action, page, type Dashboard, type SignedIn } from './context'
import { htmlResponse, redirect } from './http'

const DRY_RUN_DAYS = 30
const RULE_ID = /^[a-z0-9-]{1,64}$/

/** The rule set as the editor shows it. */
export function editorText(rules: readonly Rule[]): string {
  return JSON.stringify({ rules }, null, 2)
}

/** Names a validated rule set, so Save can tell it is the one the person saw dry-run. */
export function ruleSetMark(rules: readonly Rule[]): string {
  return new Bun.CryptoHasher('sha256').update(JSON.stringify(rules)).digest('hex')
}

/** The confirmation a redirect after a change asks for (`?done=…`), with only well-formed values in it. */
function noticeOf(q: URLSearchParams): string | null {
  const v = Number(q.get('v'))
  if (!Number.isInteger(v) || v < 1) return null
  const done = q.get('done')
  if (done === 'saved') return `Saved as version ${v}.`
  const from = Number(q.get('from'))
  if (done === 'restored' && Number.isInteger(from) && from >= 1) return `Version ${from} restored as version ${v}.`
  const rule = q.get('rule') ?? ''
  if (done === 'canary' && RULE_ID.test(rule)) return `Canary rule ${rule} created at ${CANARY_PERCENT}% as version ${v}: it is in force now. Its arms are compared below as requests arrive.`
  return null
}

async function render(d: Dashboard, s: SignedIn, extra: Partial<RoutingData> = {}, status = 200): Promise<Response> {
  const current = await d.deps.storage.settings.routing.current(s.org)
  const rules = current?.rules ?? []
  const data: RoutingData = {
    version: current?.version ?? 0,
    updatedAt: current?.updatedAt ?? null,
    rules,
    versions: (await d.deps.storage.settings.routing.versions(s.org)).map((v) => ({ version: v.version, updatedAt: v.updatedAt, ruleCount: v.rules.length, inForce: v.version === current?.version })),
    arms: await d.deps.storage.events.arms(s.org, null, null),
    editor: editorText(rules),
    ...extra,
  }
  return htmlResponse(routingPage(s.frame('Routing', 'routing'), data), status)
}

/** The editor's text as a rule set: every problem with it, or the validated rules. */
function parseEditor(d: Dashboard, text: string): { ok: true; rules: Rule[] } | { ok: false; problems: string[] } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, problems: [`The text is not valid JSON: ${(error as Error).message}`] }
  }
  return validateRuleSet(value, d.deps.registry.current())
}

/** The editor after a dry run: its figures over the last 30 days and a Save button for exactly these rules. */
async function showDryRun(d: Dashboard, s: SignedIn, text: string, rules: Rule[], message: string | null = null): Promise<Response> {
  const until = d.deps.clock().getTime()
  const { results } = await runDryRun(d.deps, s.org, rules, until - DRY_RUN_DAYS * DAY_MS, until)
  return render(d, s, { editor: text, notice: message, dryRun: { results, rules, windowDays: DRY_RUN_DAYS, checked: ruleSetMark(rules) } })
}

/**
 * Settings → Routing. GET shows the rules, arms and versions; the editor POSTs a dry run first, and its answer
 * carries a Save button for the rules it ran (no script needed); restore puts an old version back as a new one.
 */
export function routingRoutes(d: Dashboard) {
  return new Elysia()
    .get('/settings/routing', page(d, (s) => render(d, s, { notice: noticeOf(s.url.searchParams) })))
    .post(
      '/settings/routing/dry-run',
      action(d, (s, form) => {
        const text = form.get('rules') ?? ''
        const parsed = parseEditor(d, text)
        if (!parsed.ok) return render(d, s, { editor: text, problems: parsed.problems }, 400)
        return showDryRun(d, s, text, parsed.rules)
      }),
      { parse: 'none' },
    )
    .post(
      '/settings/routing/save',
      action(d, async (s, form) => {
        const text = form.get('rules') ?? ''
        const parsed = parseEditor(d, text)
        if (!parsed.ok) return render(d, s, { editor: text, problems: parsed.problems }, 400)
        // Edited after its dry run (or never dry-run): nothing is saved until these very rules have been dry-run.
        if (form.get('checked') !== ruleSetMark(parsed.rules)) {
          return showDryRun(d, s, text, parsed.rules, 'The rules changed since the dry run, so nothing was saved. Here is the dry run of these rules; save again to put them in force.')
        }
        const saved = await d.deps.storage.settings.routing.save(s.org, parsed.rules)
        return redirect(`/settings/routing?done=saved&v=${saved.version}`)
      }),
      { parse: 'none' },
    )
    .post(
      '/settings/routing/restore',
      action(d, async (s, form) => {
        const version = Number(form.get('version'))
        if (!Number.isInteger(version) || version < 1) return render(d, s, { error: 'Pick a version to restore; nothing was changed.' }, 400)
        const out = await restoreRouting(d.deps, s.org, version)
        if (!out.ok) return render(d, s, { error: out.message, problems: out.problems }, out.status)
        return redirect(`/settings/routing?done=restored&v=${out.version}&from=${version}`)
      }),
      { parse: 'none' },
    )
}
