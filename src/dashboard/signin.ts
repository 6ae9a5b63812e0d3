/**
 * GET/POST /signin, POST /signout and POST /signout/everywhere. Signing in with the admin token makes a new session (a random id in an
 * HttpOnly, SameSite=Strict cookie; only its hash is stored). The sign-in form carries its own CSRF token
 * (a short-lived cookie of the same value) and is checked for its origin; failed attempts are throttled.
 */
import { Elysia } from 'elysia'
import { isAdminToken } from '../auth/admin-token'
import { signinPage } from '../../views/pages/signin'
import { action, csrfMatches, guarded, sessionOf, warmEveryOrg, type Dashboard } from './context'
import { parseCookies, setCookie } from './cookies'
import { clientAddress } from '../auth/throttle'
import { fromSameOrigin, readForm, safeNext } from './guard'
import { htmlResponse, isHttps, redirect } from './http'
import { randomToken, SESSION_COOKIE } from '../auth/sessions'

/** The sign-in form's CSRF cookie, sent only to /signin. */
export const SIGNIN_COOKIE = 'lectr_signin'
const SIGNIN_COOKIE_S = 3600

function formCookie(request: Request, value: string, maxAge = SIGNIN_COOKIE_S): string {
  return setCookie(SIGNIN_COOKIE, value, { path: '/signin', secure: isHttps(request), maxAge })
}

/** The sign-in page with a fresh form token (also set as the cookie). */
function form(request: Request, status: number, next: string | null, error: string | null, extra: Record<string, string> = {}): Response {
  const csrf = randomToken()
  const res = htmlResponse(signinPage({ csrf, next, error }), status, extra)
  res.headers.append('set-cookie', formCookie(request, csrf))
  return res
}

function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000)
  return s === 1 ? '1 second' : s < 120 ? `${s} seconds` : `${Math.ceil(s / 60)} minutes`
}

/** Back to sign-in, the session cookie cleared. */
function signedOut(request: Request): Response {
  const res = redirect('/signin')
  res.headers.append('set-cookie', setCookie(SESSION_COOKIE, '', { path: '/', secure: isHttps(request), maxAge: 0 }))
  return res
}

export function signinRoutes(d: Dashboard) {
  return new Elysia()
    .get(
      '/signin',
      guarded(async ({ request }) => {
        const next = safeNext(new URL(request.url).searchParams.get('next'))
        if (await sessionOf(d, request)) return redirect(next ?? '/')
        // Someone is about to look: read the finished days into memory meanwhile, so the first pages are quick.
        warmEveryOrg(d.deps)
        return form(request, 200, next, null)
      }),
    )
    .post(
      '/signin',
      guarded(async ({ request, server }) => {
        const fields = await readForm(request)
        const next = safeNext(fields?.get('next'))
        if (!fromSameOrigin(request) || !fields) return form(request, 403, next, 'This sign-in did not come from this page. Try again.')
        const expected = parseCookies(request.headers.get('cookie')).get(SIGNIN_COOKIE)
        if (!expected || !csrfMatches(fields.get('_csrf'), expected)) {
          return form(request, 403, next, 'The sign-in form expired. Try again.')
        }
        const address = clientAddress(request, server)
        const gate = d.throttle.check(address)
        if (!gate.allowed) {
          const wait = seconds(gate.retryAfterMs)
          return form(request, 429, next, `Too many failed sign-ins. Try again in ${wait}.`, { 'retry-after': String(Math.ceil(gate.retryAfterMs / 1000)) })
        }
        if (!isAdminToken(fields.get('token'), d.deps.adminTokenHash())) {
          d.throttle.failure(address)
          return form(request, 401, next, 'That token is not valid.')
        }
        d.throttle.success(address)
        const { id } = await d.sessions.create(null)
        const res = redirect(next ?? '/')
        res.headers.append('set-cookie', setCookie(SESSION_COOKIE, id, { path: '/', secure: isHttps(request) }))
        res.headers.append('set-cookie', formCookie(request, '', 0))
        return res
      }),
      { parse: 'none' },
    )
    .post(
      '/signout',
      action(d, async (s) => {
        await d.sessions.delete(s.session.idHash)
        return signedOut(s.request)
      }),
      { parse: 'none' },
    )
    .post(
      // Every browser, this one included: after a lost laptop or a shared screen.
      '/signout/everywhere',
      action(d, async (s) => {
        await d.sessions.deleteAll()
        return signedOut(s.request)
      }),
      { parse: 'none' },
    )
}
