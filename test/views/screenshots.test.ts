/**
 * Renders every page with fixture data, serves it from a throwaway server with the production CSP, and opens
 * it in headless Chromium: no console errors, no CSP violations, no request leaving the origin. Full-page
 * PNGs land in test-results/screenshots/ for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser, type Tab, type TestBrowser } from '../helpers/browser'
import type { PageDocument, PageElement, PageStyle, PageWindow } from '../helpers/page-dom'
import * as fx from './fixtures'
import { azurePage } from '../../views/pages/azure'
import { eventDetailPage } from '../../views/pages/event-detail'
import { eventsPage, eventsTable } from '../../views/pages/events'
import { keysPage } from '../../views/pages/keys'
import { modelsPage, modelsTable } from '../../views/pages/models'
import { notFoundPage } from '../../views/pages/not-found'
import { overviewPage } from '../../views/pages/overview'
import { recommendationsPage } from '../../views/pages/recommendations'
import { registryPage } from '../../views/pages/registry'
import { routingPage } from '../../views/pages/routing'
import { signinPage } from '../../views/pages/signin'
import { MODEL_SORTS, RANGES, type EventsData, type ModelSort, type ModelsData, type Range } from '../../views/types'

// the page's globals, for the functions page.evaluate and waitForFunction run in Chromium
declare const window: PageWindow
declare const document: PageDocument
declare function getComputedStyle(el: PageElement): PageStyle

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
const OUT = join(import.meta.dir, '../../test-results/screenshots')
const PUBLIC = join(import.meta.dir, '../../public')

const ASSETS: Record<string, string> = {
  '/assets/htmx.min.js': 'text/javascript',
  '/assets/app.js': 'text/javascript',
  '/assets/app.css': 'text/css',
  '/assets/favicon.svg': 'image/svg+xml',
}

/** The models page state from a query string, the way the dashboard route will read it. */
function modelsFromQuery(q: URLSearchParams): ModelsData {
  const provider = q.get('provider') || null
  const base = fx.models()
  return {
    ...base,
    rows: base.rows.filter((r) => !provider || r.provider === provider),
    provider,
    range: (RANGES as string[]).includes(q.get('range') ?? '') ? (q.get('range') as Range) : '7d',
    sort: (MODEL_SORTS as string[]).includes(q.get('sort') ?? '') ? (q.get('sort') as ModelSort) : 'requests',
    dir: q.get('dir') === 'asc' ? 'asc' : 'desc',
  }
}

function eventsFromQuery(q: URLSearchParams): EventsData {
  const base = fx.events()
  const provider = q.get('provider') || null
  return {
    ...base,
    rows: base.rows.filter((e) => !provider || e.provider === provider),
    filters: { ...base.filters, provider },
    paged: q.has('cursor'),
  }
}

const frame = fx.frame

/** path -> (query, is htmx request) -> HTML */
const PAGES: Record<string, (q: URLSearchParams, htmx: boolean) => string> = {
  '/signin': () => signinPage({ error: 'That token is not valid.' }),
  '/': () => overviewPage(frame(), fx.overview(fx.buckets(24))),
  '/overview-empty': () => overviewPage(frame(), fx.overview([], '7d')),
  '/overview-one': () => overviewPage(frame(), fx.overview(fx.buckets(1))),
  '/overview-720': () => overviewPage(frame(), fx.overview(fx.buckets(720), '30d')),
  '/models': (q, htmx) => {
    const data = modelsFromQuery(q)
    return htmx ? modelsTable(data) : modelsPage(frame({ title: 'Models', active: 'models' }), data)
  },
  '/models-empty': () => modelsPage(frame({ title: 'Models', active: 'models' }), fx.models({ rows: [], provider: 'groq' })),
  '/events': (q, htmx) => {
    const data = eventsFromQuery(q)
    return htmx ? eventsTable(data) : eventsPage(frame({ title: 'Events', active: 'events' }), data)
  },
  '/events/evt_001000': () => eventDetailPage(frame({ title: 'Event', active: 'events' }), { event: fx.event(6) }),
  '/recommendations': () => recommendationsPage(frame({ title: 'Recommendations', active: 'recommendations' }), fx.recommendations()),
  // Page 2 of 121: the pager (count, Previous, Next) under the table, at 390 px too.
  '/recommendations-paged': () =>
    recommendationsPage(
      frame({ title: 'Recommendations', active: 'recommendations' }),
      fx.recommendations({ rows: Array.from({ length: 121 }, (_, i) => fx.recommendation({ feature: `feature-${i}`, monthlySavingsUsd: 500 - i })), page: 2 }),
    ),
  '/recommendations-empty': () =>
    recommendationsPage(frame({ title: 'Recommendations', active: 'recommendations' }), fx.recommendations({ rows: [] })),
  '/settings/azure': () => azurePage(frame({ title: 'Azure', active: 'azure' }), fx.azure({ notice: 'Azure settings saved.' })),
  '/azure-errors': () =>
    azurePage(
      frame({ title: 'Azure', active: 'azure' }),
      fx.azure({
        saved: null,
        form: { endpoint: 'http://10.0.0.5', apiVersion: '2023-01-01' },
        errors: [
          { field: 'endpoint', message: 'must start with https://' },
          { field: 'endpoint', message: 'must not be a private address (set LECTR_ALLOW_PRIVATE_UPSTREAMS=1 to allow)' },
          { field: 'apiVersion', message: 'is not a known Azure OpenAI API version' },
        ],
      }),
    ),
  '/settings/keys': () => keysPage(frame({ title: 'Keys', active: 'keys' }), fx.keys({ newKey: 'lk_3f9a8c2e71d04b6f9e5a1c7d2b8e4f60' })),
  '/registry': () =>
    registryPage(
      frame({ title: 'Registry', active: 'registry', registryError: ['models[3].price.output: Expected number'] }),
      fx.registry({
        status: { ...fx.registry().status, source: '/etc/lectr/registry.json', lastError: ['models[3].price.output: Expected number', 'models[7].provider: Expected one of openai, anthropic, groq, gemini, azure'] },
      }),
    ),
  '/settings/routing': () => routingPage(frame({ title: 'Routing', active: 'routing' }), fx.routing({ notice: 'Canary rule canary-gpt-4o-classification-ticket-triage created at 10% as version 4: it is in force now.' })),
  '/routing-dry-run': () => routingPage(frame({ title: 'Routing', active: 'routing' }), fx.routingDryRun()),
  '/routing-problems': () =>
    routingPage(
      frame({ title: 'Routing', active: 'routing' }),
      fx.routing({ problems: ['rules[0] (a): target openai/gpt-nope is not a model in the registry', 'rules[1] (a): duplicate id "a"', 'rules[1] (a): percent 0 is out of range (1 to 100)'] }),
    ),
  '/routing-empty': () => routingPage(frame({ title: 'Routing', active: 'routing' }), fx.routing({ version: 0, updatedAt: null, rules: [], versions: [], arms: [], editor: '{\n  "rules": []\n}' })),
  '/nope': () => notFoundPage(frame({ title: 'Not found', active: null })),
}

/** Pages full of hostile strings: opened, never screenshotted. */
const HOSTILE_PAGES: Record<string, () => string> = {
  '/hostile/events': () =>
    eventsPage(
      frame({ title: fx.HOSTILE, orgs: [{ id: fx.HOSTILE, name: fx.HOSTILE }], registryError: [fx.HOSTILE] }),
      fx.events({ rows: [fx.event(0, { model: fx.HOSTILE, feature: fx.HOSTILE })], filters: { provider: null, model: fx.HOSTILE, feature: fx.HOSTILE, task: null, status: null } }),
    ),
  '/hostile/routing': () => routingPage(frame(), fx.routingHostile()),
  '/hostile/models': () => modelsPage(frame(), fx.models({ rows: [{ ...fx.models().rows[0]!, model: fx.HOSTILE }] })),
}

const SCREENSHOT_PATHS = Object.keys(PAGES)

/**
 * Runs in the page: how wide the document is, and every visible element that reaches past the right edge of the
 * screen without a scrolling box around it (a table inside `.table-wrap` may be wider: the box scrolls).
 */
const OFF_SCREEN_CHECK = () => {
  const limit = window.innerWidth
  const offScreen: string[] = []
  const scrolls = (el: PageElement) => {
    const s = getComputedStyle(el).overflowX
    return (s === 'auto' || s === 'scroll') && el.getBoundingClientRect().right <= limit + 0.5
  }
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    const r = el.getBoundingClientRect()
    if (r.width === 0 || r.height === 0 || r.right <= limit + 0.5) continue
    let a: PageElement | null = el.parentElement
    let inside = false
    while (a && a !== document.body) {
      if (scrolls(a)) { inside = true; break }
      a = a.parentElement
    }
    if (!inside) offScreen.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} right=${Math.round(r.right)}`)
  }
  return { pageWidth: document.documentElement.scrollWidth, offScreen: offScreen.slice(0, 8) }
}

function startServer() {
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url)
      const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' }
      const type = ASSETS[url.pathname]
      if (type) {
        const file = Bun.file(join(PUBLIC, url.pathname.slice('/assets/'.length)))
        return new Response(file, { headers: { ...headers, 'Content-Type': type } })
      }
      const hostile = HOSTILE_PAGES[url.pathname]
      if (hostile) return new Response(hostile(), { headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } })
      const page = PAGES[url.pathname]
      if (!page) return new Response(notFoundPage(null), { status: 404, headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } })
      const body = page(url.searchParams, req.headers.get('HX-Request') === 'true')
      return new Response(body, { headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } })
    },
  })
}

// Never skipped: without Chromium this fails and says how to install it (`make browser`, part of `make test`).
describe('dashboard in Chromium', () => {
  let server: ReturnType<typeof startServer>
  let browser: TestBrowser
  let tab: Tab
  let origin: string

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true })
    server = startServer()
    origin = `http://127.0.0.1:${server.port}`
    browser = await launchBrowser()
    tab = await browser.open(origin)
  })

  afterAll(async () => {
    await browser?.close()
    server?.stop(true)
  })

  /** Everything the page reported since the last check, then cleared for the next one. */
  function takeProblems() {
    const problems = { console: [...tab.consoleErrors], csp: [...tab.cspViolations], offOrigin: [...tab.offOrigin] }
    tab.consoleErrors.length = 0
    tab.cspViolations.length = 0
    tab.offOrigin.length = 0
    return problems
  }

  test(
    'every page renders cleanly under the CSP (screenshots in test-results/screenshots)',
    async () => {
      for (const path of SCREENSHOT_PATHS) {
        const response = await tab.page.goto(origin + path, { waitUntil: 'load' })
        expect(response?.status(), path).toBe(200)
        // htmx and app.js are deferred; by "load" they ran. app.js marks the document.
        expect(await tab.page.evaluate(() => document.documentElement.classList.contains('js')), path).toBe(true)
        const name = path === '/' ? 'overview' : path.slice(1).replaceAll('/', '-')
        await tab.page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
        expect(takeProblems(), path).toEqual({ console: [], csp: [], offOrigin: [] })
      }
    },
    90_000,
  )

  for (const width of [390, 1400]) {
    test(
      `at ${width} px every page fits the screen, and whatever is wider scrolls inside a visible box (screenshots *-${width}.png)`,
      async () => {
        const narrow = await browser.open(origin, { width, height: 844 })
        try {
          const misfits: unknown[] = []
          for (const path of SCREENSHOT_PATHS) {
            await narrow.page.goto(origin + path, { waitUntil: 'load' })
            const name = path === '/' ? 'overview' : path.slice(1).replaceAll('/', '-')
            await narrow.page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage: true })
            const layout = await narrow.page.evaluate(OFF_SCREEN_CHECK)
            if (layout.pageWidth > width || layout.offScreen.length) misfits.push({ path, ...layout })
          }
          expect(misfits).toEqual([])
        } finally {
          await narrow.close()
        }
      },
      90_000,
    )
  }

  test('htmx is loaded and configured not to evaluate strings', async () => {
    await tab.page.goto(origin + '/models')
    const config = await tab.page.evaluate(() => {
      const htmx = (window as unknown as { htmx: { version: string; config: Record<string, unknown> } }).htmx
      return { version: htmx.version, allowEval: htmx.config.allowEval, allowScriptTags: htmx.config.allowScriptTags, indicator: htmx.config.includeIndicatorStyles, self: htmx.config.selfRequestsOnly }
    })
    expect(config).toEqual({ version: expect.stringMatching(/^2\./), allowEval: false, allowScriptTags: false, indicator: false, self: true })
    expect(takeProblems()).toEqual({ console: [], csp: [], offOrigin: [] })
  })

  test('models filters and sort links swap only the table and keep each other in the URL', async () => {
    const page = tab.page
    await page.goto(origin + '/models')
    // A full page load would drop this marker; htmx swaps keep it.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }))

    await page.selectOption('select[name="provider"]', 'openai')
    await page.waitForURL(/provider=openai/)
    await expect(page.locator('#models-table tbody tr').count()).resolves.toBe(4)

    await page.click('#models-table a.sort:has-text("Cost")')
    await page.waitForURL(/sort=cost/)
    expect(page.url()).toContain('provider=openai')

    await page.selectOption('select[name="range"]', '30d')
    await page.waitForURL(/range=30d/)
    expect(page.url()).toContain('sort=cost')
    expect(page.url()).toContain('provider=openai')
    await expect(page.locator('#models-table tbody tr').first().textContent()).resolves.toContain('gpt-4o')
    await expect(page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).resolves.toBe(true)
    await expect(page.locator('header.topbar').count()).resolves.toBe(1)

    // No history snapshots are kept, so Back reloads the previous state from the server: a new document, without the
    // marker (waited for, since htmx starts that reload only after the URL has already changed back).
    await page.goBack()
    await page.waitForURL(/sort=cost(?!.*range=30d)/)
    await page.waitForFunction(() => !(window as unknown as { __sameDocument?: boolean }).__sameDocument)
    await page.waitForLoadState('load')
    await expect(page.locator('select[name="range"]').inputValue()).resolves.toBe('7d')
    expect(takeProblems()).toEqual({ console: [], csp: [], offOrigin: [] })
  })

  test('hostile model names and tags render as text and run nothing', async () => {
    const page = tab.page
    const dialogs: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    for (const path of Object.keys(HOSTILE_PAGES)) {
      await page.goto(origin + path)
      await expect(page.locator('img').count()).resolves.toBe(0)
      await expect(page.locator('main').textContent()).resolves.toContain(fx.HOSTILE)
    }
    expect(dialogs).toEqual([])
    expect(takeProblems()).toEqual({ console: [], csp: [], offOrigin: [] })
  })

  test('events next page loads through htmx and offers the newest page again', async () => {
    const page = tab.page
    await page.goto(origin + '/events?provider=openai')
    await page.click('a[rel="next"]')
    await page.waitForURL(/cursor=/)
    expect(page.url()).toContain('provider=openai')
    await expect(page.locator('#events-table a:has-text("Newest")').count()).resolves.toBe(1)
    expect(takeProblems()).toEqual({ console: [], csp: [], offOrigin: [] })
  })

  test('with JavaScript the org switcher hides its button and the new key gets a copy button', async () => {
    const page = tab.page
    await page.goto(origin + '/settings/keys')
    await expect(page.locator('.org-switch button').isVisible()).resolves.toBe(false)
    await expect(page.locator('button[data-copy]').isVisible()).resolves.toBe(true)
    expect(takeProblems()).toEqual({ console: [], csp: [], offOrigin: [] })
  })
})
