import { Elysia } from 'elysia'
import { createCanary } from '../operations/canary'
import { recommend } from '../recommend/engine'
import type { Recommendation } from '../recommend/types'
import { PROVIDER_IDS, TASKS, type ProviderId, type Task } from '../registry/schema'
import { recommendationsPage } from '../../views/pages/recommendations'
import { action, page, type Dashboard, type SignedIn } from './context'
import { htmlResponse, redirect } from './http'
import { usageGroups } from './queries'

const WINDOW_DAYS = 30
const DAY_MS = 86_400_000

/** The page's recommendations: the last 30 days, groups summed from the day cache. */
function current(d: Dashboard, org: string): Recommendation[] {
  const until = d.deps.clock().getTime()
  return recommend(usageGroups(d.days, org, until - WINDOW_DAYS * DAY_MS, until), d.deps.registry.current(), WINDOW_DAYS)
}

function render(d: Dashboard, s: SignedIn, rows: Recommendation[], error: string | null = null, status = 200): Response {
  const data = { rows, minRequests: d.deps.registry.current().minRequests, windowDays: WINDOW_DAYS, error }
  return htmlResponse(recommendationsPage(s.frame('Recommendations', 'recommendations'), data), status)
}

/**
 * GET /recommendations: cheaper models for the last 30 days of traffic. The same engine, groups and window as
 * the admin API (`recommendationsFor`), with the groups summed from the day cache instead of 30 days of
 * hourly roll-up rows. POST /recommendations/canary: "Try as a canary", the admin API's `createCanary` on the
 * recommendations this page shows, then the Routing page.
 */
export function recommendationRoutes(d: Dashboard) {
  return new Elysia()
    .get('/recommendations', page(d, (s) => render(d, s, current(d, s.org))))
    .post(
      '/recommendations/canary',
      action(d, (s, form) => {
        const task = form.get('task') || null
        const provider = form.get('provider') || null
        const rows = current(d, s.org)
        if ((task !== null && !(TASKS as readonly string[]).includes(task)) || (provider !== null && !(PROVIDER_IDS as readonly string[]).includes(provider))) {
          return render(d, s, rows, 'That recommendation could not be read, so no rule was created. Reload the page and try again.', 400)
        }
        const group = { model: form.get('model') ?? '', task: task as Task | null, feature: form.get('feature') || null, provider: provider as ProviderId | null }
        const out = createCanary(d.deps, s.org, group, rows)
        if (!out.ok) return render(d, s, rows, [out.message, ...(out.problems ?? [])].join(' '), out.status)
        return redirect(`/settings/routing?done=canary&rule=${encodeURIComponent(out.ruleId)}&v=${out.version}`)
      }),
      { parse: 'none' },
    )
}
