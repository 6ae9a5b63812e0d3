import { ASSET_FILES } from './assets'
import { html, type SafeHtml } from './html'
import type { LayoutData, NavKey } from './types'

/**
 * htmx settings, read by htmx from the `htmx-config` meta tag. The CSP forbids eval and inline code, so htmx
 * must never evaluate strings or inject its indicator `<style>`. History snapshots are off so pages (with
 * their CSRF token) are not copied into localStorage; back/forward then reload the page from the server.
 */
export const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
})

/** Static assets the pages load; the server serves them from the embedded `public/` files (see assets.ts). */
export const ASSETS = {
  css: ASSET_FILES['app.css']!.url,
  htmx: ASSET_FILES['htmx.min.js']!.url,
  js: ASSET_FILES['app.js']!.url,
  icon: ASSET_FILES['favicon.svg']!.url,
} as const

interface NavItem {
  key: NavKey
  label: string
  href: string
}

const MAIN_NAV: NavItem[] = [
  { key: 'overview', label: 'Overview', href: '/' },
  { key: 'models', label: 'Models', href: '/models' },
  { key: 'events', label: 'Events', href: '/events' },
  { key: 'recommendations', label: 'Recommendations', href: '/recommendations' },
]
const SETTINGS_NAV: NavItem[] = [
  { key: 'azure', label: 'Azure', href: '/settings/azure' },
  { key: 'keys', label: 'Keys', href: '/settings/keys' },
  { key: 'routing', label: 'Routing', href: '/settings/routing' },
]
const REGISTRY_NAV: NavItem = { key: 'registry', label: 'Registry', href: '/registry' }

/** The page a nav key stands for; the org switcher returns there. */
export function navHref(key: NavKey | null): string {
  return [...MAIN_NAV, ...SETTINGS_NAV, REGISTRY_NAV].find((item) => item.key === key)?.href ?? '/'
}

/** `<head>` and `<body>` shell shared by the signed-in pages and the sign-in page. */
export function documentShell(title: string, bodyClass: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · Lectr</title>
<link rel="icon" href="${ASSETS.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS.css}">
<script src="${ASSETS.htmx}" defer></script>
<script src="${ASSETS.js}" defer></script>
</head>
<body class="${bodyClass}">
${body}
</body>
</html>
`.toString()
}

/** Hidden CSRF field for every POST form. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`
}

function navLink(item: NavItem, active: NavKey | null): SafeHtml {
  const current = item.key === active
  return html`<a class="${current ? 'tab is-active' : 'tab'}" href="${item.href}"${current ? html` aria-current="page"` : ''}>${item.label}</a>`
}

function orgSwitcher(data: LayoutData): SafeHtml {
  return html`<form class="org-switch js-autosubmit" method="post" action="/orgs/switch">
  ${csrfField(data.csrf)}
  <input type="hidden" name="next" value="${navHref(data.active)}">
  <label for="org-select">Org</label>
  <select id="org-select" name="org">
    ${data.orgs.map((org) => html`<option value="${org.id}"${org.id === data.currentOrg ? html` selected` : ''}>${org.name}</option>`)}
  </select>
  <button type="submit" class="btn btn-small js-hide">Switch</button>
</form>`
}

function signOut(csrf: string): SafeHtml {
  return html`<form class="sign-out" method="post" action="/signout">
  ${csrfField(csrf)}
  <button type="submit" class="btn btn-small btn-quiet">Sign out</button>
</form>
<form class="sign-out-everywhere" method="post" action="/signout/everywhere" data-confirm="Sign out of the dashboard in every browser, this one included?">
  ${csrfField(csrf)}
  <button type="submit" class="btn btn-small btn-quiet" title="Ends every dashboard session, in every browser">Sign out everywhere</button>
</form>`
}

/** Shown on every page while the registry's last reload failed: the proxy still runs on the last good one. */
export function registryBanner(errors: string[] | null | undefined): SafeHtml {
  if (!errors || errors.length === 0) return html``
  return html`<div class="banner banner-error" role="alert">
  <div class="container">
    <strong>The registry failed to reload.</strong>
    The last good registry stays in force.
    ${errors.length === 1 ? html`<span class="banner-detail">${errors[0]}</span>` : html`<span class="banner-detail">${errors.length} problems.</span>`}
    <a href="/registry">See the registry</a>
  </div>
</div>`
}

/** Shown on every page while events wait unwritten or were lost: the pages may be missing requests. */
export function eventLogBanner(warning: string | null | undefined): SafeHtml {
  if (!warning) return html``
  return html`<div class="banner banner-error" role="alert">
  <div class="container">
    <strong>Some requests may be missing from these pages.</strong>
    <span class="banner-detail">${warning}.</span>
  </div>
</div>`
}

/** The signed-in page frame: header with org switcher and sign-out, the nav, the registry banner, then `body`. */
export function layout(data: LayoutData, body: SafeHtml): string {
  return documentShell(
    data.title,
    'app',
    html`<header class="topbar">
  <div class="container topbar-row">
    <a class="brand" href="/"><span class="brand-mark" aria-hidden="true"></span>Lectr</a>
    <div class="topbar-actions">
      ${orgSwitcher(data)}
      ${signOut(data.csrf)}
    </div>
  </div>
  <nav class="container tabs" aria-label="Main">
    ${MAIN_NAV.map((item) => navLink(item, data.active))}
    <span class="tabs-group" aria-hidden="true">Settings</span>
    ${SETTINGS_NAV.map((item) => navLink(item, data.active))}
    <span class="tabs-sep" aria-hidden="true"></span>
    ${navLink(REGISTRY_NAV, data.active)}
  </nav>
</header>
${registryBanner(data.registryError)}
${eventLogBanner(data.eventLogWarning)}
<main class="container main">
${body}
</main>`,
  )
}
