import { DAY_MS } from '../domain'
import { Elysia } from 'elysia'
import { createCanary } from '../operations/canary'
import { recommendationsFor } from '../operations/recommendations'
import type { Recommendation } from '../recommend/types'
import { PROVIDER_IDS, TASKS, type ProviderId, type Task } from '../registry/schema'
import { recommendationsPage, recommendationsTable } from '../../views/pages/recommendations'
import { action, page, type Dashboard, type SignedIn } from './context'
import { htmlResponse, isHtmx, redirect } from './http'

const WINDOW_DAYS = 30

/**
 * The page's recommendations: the last 30 days, the admin API's list (`recommendationsFor`). Every group's are
 * computed (the summary sums every page), then kept while nothing they came from changes.
 */
function current(d: Dashboard, org: string): Promise<Recommendation[]> {
  const until = d.deps.clock().getTime()
  return recommendationsFor(d.deps, org, until - WINDOW_DAYS * DAY_MS, until)
}

/** `?page=`: a whole number, else page 1 (the view keeps it within the pages there are). */
function pageParam(value: string | null | undefined): number {
  return value && /^[0-9]{1,6}$/.test(value) ? Number(value) : 1
}

function render(d: Dashboard, s: SignedIn, rows: Recommendation[], page: number, error: string | null = null, status = 200): Response {
  const data = { rows, minRequests: d.deps.registry.current().minRequests, windowDays: WINDOW_DAYS, error, page }
  return htmlResponse(recommendationsPage(s.frame('Recommendations', 'recommendations'), data), status, { vary: 'HX-Request' })
}

/**
 * GET /recommendations: cheaper models for the last 30 days of traffic. The same list and window as the admin API
 * (`recommendationsFor`); 50 rows a page (`?page=`; htmx gets only `#recommendations-table`). POST /recommendations/canary: "Try as a canary", the admin API's `createCanary` on the
 * recommendations this page shows, then the Routing page.
 */
export function recommendationRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/recommendations',
      page(d, async (s) => {
        const rows = await current(d, s.org)
        const pageNo = pageParam(s.url.searchParams.get('page'))
        if (isHtmx(s.request)) {
          const data = { rows, minRequests: d.deps.registry.current().minRequests, windowDays: WINDOW_DAYS, page: pageNo }
          return htmlResponse(recommendationsTable(s.session.csrf, data), 200, { vary: 'HX-Request' })
        }
        return render(d, s, rows, pageNo)
      }),
    )
    .post(
      '/recommendations/canary',
      action(d, async (s, form) => {
        const task = form.get('task') || null
        const provider = form.get('provider') || null
        const rows = await current(d, s.org)
        const pageNo = pageParam(form.get('page'))
        if ((task !== null && !(TASKS as readonly string[]).includes(task)) || (provider !== null && !(PROVIDER_IDS as readonly string[]).includes(provider))) {
          return render(d, s, rows, pageNo, 'That recommendation could not be read, so no rule was created. Reload the page and try again.', 400)
        }
        const group = { model: form.get('model') ?? '', task: task as Task | null, feature: form.get('feature') || null, provider: provider as ProviderId | null }
        const out = await createCanary(d.deps, s.org, group, rows)
        if (!out.ok) return render(d, s, rows, pageNo, [out.message, ...(out.problems ?? [])].join(' '), out.status)
        return redirect(`/settings/routing?done=canary&rule=${encodeURIComponent(out.ruleId)}&v=${out.version}`)
      }),
      { parse: 'none' },
    )
}
