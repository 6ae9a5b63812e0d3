/**
 * What every dashboard route shares: the dependencies, the session store and the sign-in throttle; and the two
 * wrappers every route goes through. `page` serves signed-in GETs (a page, or a fragment for htmx); `action`
 * serves signed-in POSTs after the Origin and CSRF checks. Both add the security headers and turn a thrown
 * error into a plain 500 page.
 */
import type { Server } from 'bun'
import type { AdminDeps } from '../operations/deps'
import { sessionTagOf } from '../auth/admin-token'
import type { AdminTokenThrottle } from '../auth/throttle'
import { safeEqual } from '../auth/secrets'
import type { Config } from '../config'
import { messagePage } from '../../views/pages/message'
import type { LayoutData, NavKey } from '../../views/types'
import { parseCookies } from './cookies'
import { fromSameOrigin, readForm } from './guard'
import { htmlResponse, isHtmx, redirect, secure, textResponse } from './http'
import { SESSION_COOKIE, type Session } from '../auth/sessions'
import type { SessionRepository } from '../storage/settings'
import { eventLogProblem } from '../operations/health'
import { log } from '../log'
import { storageUnavailable } from '../storage/unavailable'

export interface DashboardDeps extends AdminDeps {
  config: Config
}

export interface Dashboard {
  deps: DashboardDeps
  sessions: DashboardSessions
  /** the admin API's throttle: sign-in guesses the same token */
  throttle: AdminTokenThrottle
}

export function createDashboard(deps: DashboardDeps): Dashboard {
  const now = () => deps.clock().getTime()
  return { deps, sessions: dashboardSessions(deps.storage.settings.sessions, now, sessionTag(deps.adminTokenHash)), throttle: deps.tokenThrottle }
}

/** The stored sessions as the dashboard uses them: at its clock's time, for the admin token in force. */
export interface DashboardSessions {
  create(orgId: string | null): Promise<{ id: string; session: Session }>
  find(id: string | null | undefined): Promise<Session | null>
  setOrg(idHash: string, orgId: string): Promise<void>
  delete(idHash: string): Promise<void>
  deleteAll(): Promise<number>
}

function dashboardSessions(stored: SessionRepository, now: () => number, tokenTag: () => string): DashboardSessions {
  return {
    create: (orgId) => stored.create(orgId, now(), tokenTag()),
    find: (id) => stored.find(id, now(), tokenTag()),
    setOrg: (idHash, orgId) => stored.setOrg(idHash, orgId),
    delete: (idHash) => stored.delete(idHash),
    deleteAll: () => stored.deleteAll(),
  }
}

/**
 * Reads the roll-ups of every org ahead, in the background: when someone opens the sign-in page, not at start (an
 * instance nobody looks at keeps ~60 MiB instead of ~340 MiB at 10M events; see bench/README.md).
 */
export function warmEveryOrg(deps: Pick<AdminDeps, 'storage'>): void {
  deps.storage.orgs.list().then(
    (orgs) => deps.storage.rollups.prefetch(orgs.map((o) => o.id)),
    () => {
      // the database is closed already
    },
  )
}

/** The session tag of the admin token in force, derived again only when the token changes. */
function sessionTag(adminTokenHash: () => string): () => string {
  let hash = ''
  let tag = ''
  return () => {
    const current = adminTokenHash()
    if (current !== hash) [hash, tag] = [current, sessionTagOf(current)]
    return tag
  }
}

/** What the banner says while events wait unwritten or were lost, else null. */
function eventLogWarning(d: Dashboard): string | null {
  const h = d.deps.eventLogHealth?.()
  return h ? eventLogProblem(h) : null
}

/**
 * Just-finished requests show: every event queued before the page was asked for is written (by the writer, on its
 * next turn); the roll-up store sees what that changed at its next read.
 */
async function freshData(d: Dashboard): Promise<void> {
  await d.deps.eventsWritten()
}

/** A signed-in request. */
export interface SignedIn {
  request: Request
  url: URL
  params: Record<string, string>
  session: Session
  /** the org the session is looking at (exists) */
  org: string
  /** the page frame: org switcher, CSRF token, registry banner */
  frame(title: string, active: NavKey | null): LayoutData
}

/** What Elysia hands a handler; only these parts are used. */
export interface RouteContext {
  request: Request
  params?: Record<string, string>
  server?: Server<unknown> | null
}

type Handler = (ctx: RouteContext) => Promise<Response>

/** The session a request's cookie names, or null. */
export function sessionOf(d: Dashboard, request: Request): Promise<Session | null> {
  return d.sessions.find(parseCookies(request.headers.get('cookie')).get(SESSION_COOKIE))
}

/** A request with its session: the org it looks at and the page frame. */
export async function signedIn(d: Dashboard, ctx: RouteContext, session: Session): Promise<SignedIn> {
  const orgs = await d.deps.storage.orgs.list()
  // The session's org; until one is picked (or if it is gone), `default`, else the oldest org.
  const org = (orgs.find((o) => o.id === session.orgId) ?? orgs.find((o) => o.id === 'default') ?? orgs[0])?.id ?? 'default'
  return {
    request: ctx.request,
    url: new URL(ctx.request.url),
    params: ctx.params ?? {},
    session,
    org,
    frame: (title, active) => ({
      title,
      active,
      orgs: orgs.map((o) => ({ id: o.id, name: o.name })),
      currentOrg: org,
      csrf: session.csrf,
      registryError: d.deps.registry.status.lastError,
      eventLogWarning: eventLogWarning(d),
    }),
  }
}

/** Security headers on whatever comes back; an exception becomes a 500 page instead of Elysia's default. */
export function guarded(fn: Handler): Handler {
  return async (ctx) => {
    try {
      return secure(await fn(ctx))
    } catch (error) {
      // Postgres away: a page that says so at once (the proxy goes on from memory), not a 500.
      if (storageUnavailable(error)) {
        const message = 'The database cannot be reached right now; try again shortly. The proxy keeps serving meanwhile.'
        return htmlResponse(messagePage({ title: 'Database unavailable', message, link: { href: '/', label: 'Go to the overview' } }), 503, { 'retry-after': '5' })
      }
      log.error('error', `lectr: dashboard ${ctx.request.method} ${new URL(ctx.request.url).pathname} failed: ${(error as Error)?.stack ?? error}`)
      return htmlResponse(messagePage({ title: 'Something went wrong', message: 'Lectr could not show this page. The error is in its log.', link: { href: '/', label: 'Go to the overview' } }), 500)
    }
  }
}

/** Where the sign-in page sends someone back to: this request's path and query. */
export function signinUrl(request: Request): string {
  const url = new URL(request.url)
  const next = url.pathname + url.search
  return next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`
}

/**
 * A signed-in GET. Without a session a page request is sent to sign in (303), and an htmx request gets 401 with
 * `HX-Redirect`, so htmx loads the sign-in page instead of swapping it into a table.
 */
export function page(d: Dashboard, fn: (s: SignedIn) => Response | Promise<Response>): Handler {
  return guarded(async (ctx) => {
    const session = await sessionOf(d, ctx.request)
    if (!session) {
      const to = signinUrl(ctx.request)
      if (isHtmx(ctx.request)) return textResponse('Sign in first.', 401, { 'hx-redirect': to })
      return redirect(to)
    }
    await freshData(d)
    return fn(await signedIn(d, ctx, session))
  })
}

/** The CSRF token a form sent matches the session's. */
export function csrfMatches(sent: string | null, expected: string): boolean {
  return typeof sent === 'string' && sent.length > 0 && safeEqual(sent, expected)
}

/** A refused POST: a short page for a browser, plain text for htmx. */
export function refused(request: Request, status: number, title: string, message: string, link: { href: string; label: string } | null): Response {
  if (isHtmx(request)) return textResponse(message, status, status === 401 ? { 'hx-redirect': '/signin' } : {})
  return htmlResponse(messagePage({ title, message, link }), status)
}

/**
 * A signed-in POST (a form). Refused with 401 without a session, with 403 when it came from another site or its
 * `_csrf` field is not the session's token, and with 400 when the body is not a form of reasonable size.
 */
export function action(d: Dashboard, fn: (s: SignedIn, form: URLSearchParams) => Response | Promise<Response>): Handler {
  return guarded(async (ctx) => {
    const { request } = ctx
    const session = await sessionOf(d, request)
    if (!session) {
      return refused(request, 401, 'Sign in again', 'Your session has ended, so nothing was changed. Sign in and try again.', { href: '/signin', label: 'Sign in' })
    }
    const forbidden = () =>
      refused(request, 403, 'Refused', 'This form did not come from this Lectr page, so nothing was changed. Reload the page and try again.', { href: '/', label: 'Go to the overview' })
    if (!fromSameOrigin(request)) return forbidden()
    const form = await readForm(request)
    if (!form) return refused(request, 400, 'Refused', 'The form could not be read, so nothing was changed.', { href: '/', label: 'Go to the overview' })
    if (!csrfMatches(form.get('_csrf'), session.csrf)) return forbidden()
    await freshData(d)
    return fn(await signedIn(d, ctx, session), form)
  })
}
