/**
 * Headless Chromium (Debian's `/usr/bin/chromium`) driven through playwright-core, for tests that look at the
 * dashboard the way a person does. Every request a page makes outside its own origin is recorded and
 * aborted, so a test can assert that nothing leaves the binary (no CDN, no font, no analytics).
 *
 * @example
 * const browser = await launchBrowser()
 * try {
 *   const tab = await browser.open(`${server.url}`)
 *   await tab.page.goto(`${server.url}/models`)
 *   expect(tab.offOrigin).toEqual([])
 * } finally {
 *   await browser.close()
 * }
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM_PATH = process.env.LECTR_CHROMIUM ?? '/usr/bin/chromium'

/** Flags that keep Chromium from phoning home (updates, sync, safe browsing lists) during a test. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** True when the Chromium binary is installed. Browser tests are never skipped: `launchBrowser` fails without it. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH)
}

/** One page in its own context, with everything worth asserting on collected as it happens. */
export interface Tab {
  page: Page
  context: BrowserContext
  /** URLs the page tried to load outside `origin` (each was aborted) */
  offOrigin: string[]
  /** console messages of type error, and uncaught page errors */
  consoleErrors: string[]
  /** Content-Security-Policy violations reported by the page (`securitypolicyviolation` events) */
  cspViolations: string[]
  close(): Promise<void>
}

export interface TestBrowser {
  browser: Browser
  /** A fresh context whose requests outside `origin` are recorded and aborted. */
  open(origin: string, options?: { width?: number; height?: number }): Promise<Tab>
  close(): Promise<void>
}

// Runs in the page before any of its scripts. It reports through an exposed binding, which the page's CSP
// does not govern, so the report itself cannot be blocked.
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (e) => {
  window.__lectrReportCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber)
})`

export async function launchBrowser(): Promise<TestBrowser> {
  if (!hasChromium()) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: run \`make browser\` (Debian's chromium; \`make test\` does it) or set LECTR_CHROMIUM`)
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })

  async function open(origin: string, options: { width?: number; height?: number } = {}): Promise<Tab> {
    const own = new URL(origin).origin
    const context = await browser.newContext({ viewport: { width: options.width ?? 1366, height: options.height ?? 800 } })
    const offOrigin: string[] = []
    const consoleErrors: string[] = []
    const cspViolations: string[] = []

    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (new URL(url).origin === own) return route.continue()
      offOrigin.push(url)
      return route.abort('blockedbyclient')
    })
    await context.exposeBinding('__lectrReportCsp', (_source, message: string) => {
      cspViolations.push(message)
    })
    await context.addInitScript(CSP_LISTENER)

    const page = await context.newPage()
    // A step that hangs fails on its own, naming what it waited for, before the test's 30 s timeout hides which.
    page.setDefaultTimeout(10_000)
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text())
    })
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`))
    // Requests that never reach the router (for instance ones the browser itself blocks) still show up here.
    page.on('request', (req) => {
      const url = req.url()
      if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return
      if (new URL(url).origin !== own && !offOrigin.includes(url)) offOrigin.push(url)
    })

    return { page, context, offOrigin, consoleErrors, cspViolations, close: () => context.close() }
  }

  return { browser, open, close: () => browser.close() }
}
