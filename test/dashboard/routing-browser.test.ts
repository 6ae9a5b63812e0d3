/**
 * "Try as a canary" in headless Chromium: a person on the Recommendations page clicks it and lands on the
 * Routing page showing the new rule, then dry-runs and saves an edit. No console error, no CSP violation, no
 * request off the origin. Screenshots of the real Routing page at 390 and 1400 px land in test-results/dashboard/.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'
import { ADMIN_TOKEN, startLectr, type TestLectr } from '../helpers/lectr'
import { launchBrowser, type TestBrowser } from '../helpers/browser'
import type { PageDocument } from '../helpers/page-dom'
import { echoModel } from '../routing/_setup'

// the page's global, for the function page.evaluate runs in Chromium
declare const document: PageDocument

const OUT = join(import.meta.dir, '../../test-results/dashboard')
const DCL = { waitUntil: 'domcontentloaded' } as const

let up: FakeUpstream
let lectr: TestLectr
let browser: TestBrowser

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true })
  up = new FakeUpstream()
  up.script = echoModel()
  lectr = await startLectr(up)
  for (let i = 0; i < 25; i++) {
    await (await lectr.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { 'x-lectr-task': 'classification', 'x-lectr-feature': 'ticket-triage' })).text()
  }
  browser = await launchBrowser()
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await lectr?.stop()
  up?.stop()
})

test(
  'a person clicks "Try as a canary" and sees the rule on the Routing page, then dry-runs and saves an edit',
  async () => {
    const tab = await browser.open(lectr.url, { width: 1400, height: 900 })
    const page = tab.page
    const dialogs: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    await page.goto(`${lectr.url}/signin`, DCL)
    await page.fill('input[name="token"]', ADMIN_TOKEN)
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('button[type="submit"]')])

    await page.goto(`${lectr.url}/recommendations`, DCL)
    await Promise.all([page.waitForURL(/\/settings\/routing\?done=canary/), page.click('button:has-text("Try as a canary")')])
    await page.waitForLoadState('domcontentloaded')
    await expect(page.locator('h1').textContent()).resolves.toBe('Routing')
    await expect(page.locator('.notice-success').textContent()).resolves.toContain('Canary rule canary-gpt-4o-classification-ticket-triage created at 10%')
    await expect(page.locator('.table-routing tbody tr').count()).resolves.toBe(1)
    await expect(page.locator('.table-routing tbody').textContent()).resolves.toContain('gpt-4o-mini')
    const rules = (await answerOf(await lectr.api('orgs/default/routing'), 'routing')).rules
    expect(rules.map((r) => [r.id, r.percent])).toEqual([['canary-gpt-4o-classification-ticket-triage', 10]])

    // Some traffic for the arms, then both widths.
    for (let i = 0; i < 30; i++) {
      await (await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-task': 'classification', 'x-lectr-feature': 'ticket-triage' })).text()
    }
    await page.reload(DCL)
    await expect(page.locator('.arm-card').count()).resolves.toBe(1)
    await page.screenshot({ path: join(OUT, 'routing-1400.png'), fullPage: true })
    const narrow = await browser.open(lectr.url, { width: 390, height: 844 })
    await narrow.context.addCookies(await tab.context.cookies())
    await narrow.page.goto(`${lectr.url}/settings/routing`, DCL)
    await narrow.page.screenshot({ path: join(OUT, 'routing-390.png'), fullPage: true })
    expect(await narrow.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    expect({ console: narrow.consoleErrors, csp: narrow.cspViolations, offOrigin: narrow.offOrigin }).toEqual({ console: [], csp: [], offOrigin: [] })
    await narrow.close()

    // The editor: change the share to 20%, dry run, then Save (which only the dry run offers).
    await expect(page.locator('button:has-text("Save as version")').count()).resolves.toBe(0)
    const text = await page.inputValue('#routing-rules')
    await page.fill('#routing-rules', text.replace('"percent": 10', '"percent": 20'))
    await Promise.all([page.waitForURL(/\/settings\/routing\/dry-run$/), page.click('button:has-text("Dry run")')])
    await expect(page.locator('#dry-run').count()).resolves.toBe(1)
    await Promise.all([page.waitForURL(/done=saved/), page.click('button:has-text("Save as version 2")')])
    await expect(page.locator('.notice-success').textContent()).resolves.toContain('Saved as version 2.')
    expect((await answerOf(await lectr.api('orgs/default/routing'), 'routing')).rules[0]!.percent).toBe(20)

    expect({ console: tab.consoleErrors, csp: tab.cspViolations, offOrigin: tab.offOrigin, dialogs }).toEqual({ console: [], csp: [], offOrigin: [], dialogs: [] })
    await tab.close()
  },
  60_000,
)
