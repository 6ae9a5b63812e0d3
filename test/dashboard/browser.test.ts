/**
 * The dashboard in headless Chromium, as a person uses it: sign in, switch org, filter the models table through
 * htmx, follow every nav link, open an event, save Azure settings, create and revoke a key, reload the registry.
 * Throughout: no request leaves Lectr's origin, no console error, no CSP violation, and no dialog other than
 * the confirmations Lectr itself asks (hostile model names and feature tags run nothing). Full-page screenshots
 * of every page, with real data, land in test-results/dashboard/.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { FakeUpstream } from '../helpers/fake-upstream'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'
import { launchBrowser, type Tab, type TestBrowser } from '../helpers/browser'
import type { PageDocument, PageWindow } from '../helpers/page-dom'
import { HOSTILE_FEATURE, HOSTILE_MODEL, sendTraffic } from './_traffic'

// the page's globals, for the functions page.evaluate and waitForFunction run in Chromium
declare const window: PageWindow
declare const document: PageDocument

const OUT = join(import.meta.dir, '../../test-results/dashboard')
/** Waiting for DOMContentLoaded is enough: the deferred scripts (htmx, app.js) have run by then. */
const DCL = { waitUntil: 'domcontentloaded' } as const
/** The confirmations app.js asks before destructive forms; any other dialog is a failure. */
const OWN_CONFIRMS = [/^Revoke this key\?/, /^Remove the Azure settings\?/]

let up: FakeUpstream
let lectr: TestLectr
let browser: TestBrowser
let tab: Tab
let page: Page
const dialogs: string[] = []

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true })
  up = new FakeUpstream()
  lectr = await startLectr(up)
  await sendTraffic(lectr, up)
  // A second org with a little traffic of its own.
  const acme = (await (await lectr.api('orgs', { method: 'POST', body: JSON.stringify({ name: 'Acme production' }) })).json()) as { key: string }
  for (let i = 0; i < 3; i++) await (await lectr.post('chat/completions', { model: 'llama-3.1-70b-versatile', messages: [] }, { 'x-lectr-key': acme.key })).text()
  browser = await launchBrowser()
  tab = await browser.open(lectr.url, { width: 1366, height: 800 })
  page = tab.page
  page.on('dialog', (d) => {
    const own = d.type() === 'confirm' && OWN_CONFIRMS.some((re) => re.test(d.message()))
    if (!own) dialogs.push(`${d.type()}: ${d.message()}`)
    void (own ? d.accept() : d.dismiss())
  })
}, 20_000)

afterAll(async () => {
  await browser?.close()
  await lectr?.stop()
  up?.stop()
})

async function shot(name: string) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
}

/** Nothing went wrong since the last check (console, CSP, requests off the origin, stray dialogs). */
function expectClean(step: string) {
  const problems = { console: [...tab.consoleErrors], csp: [...tab.cspViolations], offOrigin: [...tab.offOrigin], dialogs: [...dialogs] }
  tab.consoleErrors.length = 0
  tab.cspViolations.length = 0
  tab.offOrigin.length = 0
  dialogs.length = 0
  expect(problems, step).toEqual({ console: [], csp: [], offOrigin: [], dialogs: [] })
}

/** A 4xx document (a refused sign-in or form) logs "Failed to load resource" in Chromium: expected there, nowhere else. */
function dropExpectedStatus(status: number) {
  const i = tab.consoleErrors.findIndex((m) => m.includes(`status of ${status}`))
  if (i >= 0) tab.consoleErrors.splice(i, 1)
}

test(
  'a person signs in and uses every page',
  async () => {
    // Signed out, the dashboard sends you to sign in, and back afterwards.
    await page.goto(`${lectr.url}/models`, DCL)
    expect(new URL(page.url()).pathname).toBe('/signin')
    await shot('signin')
    await page.fill('#token', 'not-the-token-at-all')
    await page.click('button[type="submit"]')
    await page.waitForSelector('.notice-error')
    await shot('signin-error')
    dropExpectedStatus(401)
    await page.fill('#token', ADMIN_TOKEN)
    await Promise.all([page.waitForURL(/\/models$/, DCL), page.click('button[type="submit"]')])
    expect(await page.locator('h1').textContent()).toBe('Models')
    const session = (await tab.context.cookies()).find((c) => c.name === 'lectr_session')!
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expectClean('sign-in')

    // Overview with real numbers.
    await page.click('nav.tabs a:has-text("Overview")')
    await page.waitForURL(`${lectr.url}/`, DCL)
    expect(await page.locator('.stat-value').first().textContent()).toBe('59')
    await shot('overview')
    for (const range of ['7d', '30d']) {
      await page.click(`.segmented a:has-text("${range}")`)
      await page.waitForURL(new RegExp(`range=${range}`), DCL)
      expect(await page.locator('.stat-value').first().textContent()).toBe('59')
    }
    await shot('overview-30d')
    expectClean('overview')

    // Switch org: the select submits itself (app.js); the choice stays with the session.
    await Promise.all([page.waitForNavigation(DCL), page.selectOption('#org-select', 'acme-production')])
    expect(await page.locator('#org-select').inputValue()).toBe('acme-production')
    expect(await page.locator('.stat-value').first().textContent()).toBe('3')
    await page.goto(`${lectr.url}/models`, DCL)
    expect(await page.locator('#org-select').inputValue()).toBe('acme-production')
    expect(await page.locator('#models-table tbody tr').count()).toBe(1)
    await Promise.all([page.waitForNavigation(DCL), page.selectOption('#org-select', 'default')])
    expect(new URL(page.url()).pathname).toBe('/models')
    expectClean('org switch')

    // Models: filter by provider through htmx; only the table is swapped.
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }))
    const fragment = page.waitForResponse((r) => r.url().includes('provider=groq') && r.request().headers()['hx-request'] === 'true')
    await page.selectOption('select[name="provider"]', 'groq')
    const res = await fragment
    expect((await res.text()).startsWith('<div id="models-table"')).toBe(true)
    await page.waitForURL(/provider=groq/, DCL)
    await page.waitForFunction(() => document.querySelectorAll('#models-table tbody tr').length === 1)
    expect(await page.locator('#models-table tbody').textContent()).toContain('llama-3.1-8b-instant')
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true)
    await page.click('#models-table a.sort:has-text("Cost")')
    await page.waitForURL(/sort=cost/, DCL)
    expect(page.url()).toContain('provider=groq')
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true)
    await shot('models-groq')
    await page.selectOption('select[name="provider"]', '')
    await page.waitForFunction(() => document.querySelectorAll('#models-table tbody tr').length === 4)
    expect(await page.locator('#models-table').textContent()).toContain(HOSTILE_MODEL)
    await shot('models')
    expectClean('models')

    // Every nav link leads to its page.
    const nav = await page.locator('nav.tabs a').evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute('href')]))
    expect(nav.map(([, href]) => href)).toEqual(['/', '/models', '/events', '/recommendations', '/settings/azure', '/settings/keys', '/settings/routing', '/registry'])
    const headings: Record<string, string> = {
      '/': 'Overview', '/models': 'Models', '/events': 'Events', '/recommendations': 'Recommendations',
      '/settings/azure': 'Azure OpenAI', '/settings/keys': 'Org keys', '/settings/routing': 'Routing', '/registry': 'Registry',
    }
    for (const [label, href] of nav) {
      await Promise.all([page.waitForURL(`${lectr.url}${href}`, DCL), page.click(`nav.tabs a:has-text("${label}")`)])
      expect(await page.locator('h1').textContent()).toBe(headings[href!]!)
      expect(await page.locator('nav.tabs a[aria-current="page"]').getAttribute('href')).toBe(href)
    }
    expectClean('nav')

    // Events: hostile strings are text; filter by status through htmx; open one.
    await page.goto(`${lectr.url}/events`, DCL)
    expect(await page.locator('#events-table tbody tr').count()).toBe(50)
    expect(await page.locator('main').textContent()).toContain(HOSTILE_FEATURE)
    expect(await page.locator('main img').count()).toBe(0)
    await shot('events')
    await page.selectOption('#events-filters select[name="status"]', 'error')
    await page.waitForURL(/status=error/, DCL)
    await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length === 1)
    await page.selectOption('#events-filters select[name="status"]', '')
    await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length === 50)
    await page.click('a[rel="next"]')
    await page.waitForURL(/cursor=/, DCL)
    await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length === 9)
    await page.click('#events-table a:has-text("Newest")')
    await page.waitForFunction(() => document.querySelectorAll('#events-table tbody tr').length === 50)
    const hostileRow = page.locator('#events-table tbody tr', { hasText: HOSTILE_MODEL })
    await Promise.all([page.waitForURL(/\/events\/[0-9a-f-]{36}$/, DCL), hostileRow.locator('a').first().click()])
    expect(await page.locator('main').textContent()).toContain(HOSTILE_MODEL)
    await shot('event-detail')
    expectClean('events')

    await page.goto(`${lectr.url}/recommendations`, DCL)
    expect(await page.locator('.table-recommendations tbody tr').count()).toBeGreaterThanOrEqual(1)
    await shot('recommendations')
    expectClean('recommendations')

    // Azure: a refused endpoint shows the API's message under the field; a good one saves.
    await page.goto(`${lectr.url}/settings/azure`, DCL)
    await page.fill('#azure-endpoint', 'https://user@x.openai.azure.com')
    await page.fill('#azure-api-version', '2024-10-21')
    await page.click('form.form button[type="submit"]')
    await page.waitForSelector('#endpoint-errors')
    expect(await page.locator('#endpoint-errors').textContent()).toContain('must not contain user info')
    await shot('azure-errors')
    dropExpectedStatus(400)
    await page.fill('#azure-endpoint', 'https://my-resource.openai.azure.com')
    await Promise.all([page.waitForURL(/done=saved/, DCL), page.click('form.form button[type="submit"]')])
    expect(await page.locator('.notice-success').textContent()).toBe('Azure settings saved.')
    expect(await page.locator('.page-description').textContent()).toContain('https://my-resource.openai.azure.com')
    await shot('azure')
    expectClean('azure')

    // Keys: create one (shown once, with a copy button), then revoke it (after the confirmation).
    await page.goto(`${lectr.url}/settings/keys`, DCL)
    await page.fill('#key-label', 'browser test')
    await Promise.all([page.waitForNavigation(DCL), page.click('form.form-inline button[type="submit"]')])
    const key = await page.locator('#new-key').inputValue()
    expect(key).toStartWith('lectr_org_')
    expect(await page.locator('button[data-copy]').isVisible()).toBe(true)
    await shot('keys-new')
    const row = page.locator('tbody tr', { hasText: 'browser test' })
    await Promise.all([page.waitForURL(/done=revoked/, DCL), row.locator('button:has-text("Revoke")').click()])
    expect(await page.locator('tbody tr', { hasText: 'browser test' }).locator('.badge').textContent()).toBe('revoked')
    expect(await page.content()).not.toContain(key)
    expect((await fetch(`${lectr.url}/v1/models`, { headers: { 'x-lectr-key': key } })).status).toBe(401)
    await shot('keys')
    expectClean('keys')

    // Registry: the Reload button.
    await page.goto(`${lectr.url}/registry`, DCL)
    await Promise.all([page.waitForURL(/done=reloaded/, DCL), page.click('main button:has-text("Reload")')])
    expect(await page.locator('.notice-success').count()).toBe(1)
    await shot('registry')
    expectClean('registry')

    // Sign out: the pages are closed again.
    await Promise.all([page.waitForURL(/\/signin$/, DCL), page.click('.sign-out button')])
    await page.goto(`${lectr.url}/events`, DCL)
    expect(new URL(page.url()).pathname).toBe('/signin')
    expectClean('sign-out')

    // A session that ends while a page is open: the next htmx request leads to sign-in, not into the table.
    await page.fill('#token', ADMIN_TOKEN)
    await Promise.all([page.waitForURL(/\/events$/, DCL), page.click('button[type="submit"]')])
    await page.goto(`${lectr.url}/models`, DCL)
    await tab.context.clearCookies()
    await Promise.all([page.waitForURL(/\/signin\?next=/, DCL), page.selectOption('select[name="provider"]', 'openai')])
    expect(decodeURIComponent(new URL(page.url()).searchParams.get('next')!)).toStartWith('/models?provider=openai')
    dropExpectedStatus(401)
    expectClean('session ended')
  },
  120_000,
)
