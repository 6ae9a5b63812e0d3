/**
 * Settings → Routing and "Try as a canary", signed in through the form, over a real socket: the button creates
 * the rule and lands on the Routing page showing it; the page lists rules and versions; restore works; the
 * editor dry-runs before it saves, refuses a bad set with every problem and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'
import { startLectr, type TestLectr } from '../helpers/lectr'
import type { Rule } from '../../src/routing/schema'
import { echoModel, putRules } from '../routing/_setup'
import { Client } from './_client'

let up: FakeUpstream
let lectr: TestLectr
let client: Client

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = echoModel()
  lectr = await startLectr(up)
  for (let i = 0; i < 25; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: 5 }, () =>
        lectr.post('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { 'x-lectr-task': 'classification', 'x-lectr-feature': 'triage' }),
      ),
    )
    for (const r of batch) await r.text()
  }
  client = Client.http(lectr.url)
  expect((await client.signIn()).status).toBe(303)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

const routing = async () => answerOf(await lectr.api('orgs/default/routing'), 'routing')

describe('Try as a canary', () => {
  test('the Recommendations page offers it; clicking creates the rule and shows it on the Routing page', async () => {
    const { html } = await client.page('/recommendations')
    expect(html).toContain('Try as a canary')
    const form = /<form class="canary-form"[\s\S]*?<\/form>/.exec(html)![0]
    const fields = Object.fromEntries([...form.matchAll(/name="(provider|model|task|feature)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
    expect(fields).toEqual({ provider: 'openai', model: 'gpt-4o', task: 'classification', feature: 'triage' })

    const before = await routing()
    const res = await client.post('/recommendations/canary', fields)
    expect(res.status).toBe(303)
    const location = res.headers.get('location')!
    expect(location).toBe(`/settings/routing?done=canary&rule=canary-gpt-4o-classification-triage&v=${before.version + 1}`)
    const after = await routing()
    expect(after.version).toBe(before.version + 1)
    expect(after.rules.at(-1)).toEqual({
      id: 'canary-gpt-4o-classification-triage', enabled: true,
      match: { provider: ['openai'], model: ['gpt-4o'], task: ['classification'], feature: ['triage'] },
      target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 10,
    })

    const page = await client.page(location)
    expect(page.res.status).toBe(200)
    expect(page.html).toContain('Canary rule canary-gpt-4o-classification-triage created at 10% as version')
    expect(page.html).toContain('<code class="rule-id">canary-gpt-4o-classification-triage</code>')
    expect(page.html).toContain('aria-current="page">Routing</a>')
  })

  test('twice, or for a group without a recommendation: an error on the page, nothing created', async () => {
    await client.page('/recommendations')
    const before = await routing()
    const again = await client.post('/recommendations/canary', { provider: 'openai', model: 'gpt-4o', task: 'classification', feature: 'triage' })
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('already sends this group to gpt-4o-mini')
    const none = await client.post('/recommendations/canary', { provider: 'openai', model: 'gpt-4o', task: 'classification', feature: 'nope' })
    expect(none.status).toBe(404)
    expect(await none.text()).toContain('No recommendation for model &quot;gpt-4o&quot;, task classification, feature &quot;nope&quot;')
    expect((await client.post('/recommendations/canary', { model: 'gpt-4o', task: 'dreaming' })).status).toBe(400)
    // Without the session's CSRF token: refused.
    expect((await client.post('/recommendations/canary', { _csrf: 'wrong', model: 'gpt-4o', task: 'classification', feature: 'nope' })).status).toBe(403)
    expect(await routing()).toEqual(before)
  })
})

describe('the Routing page', () => {
  const a: Rule = { id: 'rule-a', enabled: true, match: { feature: ['alpha'] }, target: { provider: 'openai', model: 'gpt-4o-mini' } }
  const b: Rule = { id: 'rule-b', enabled: false, match: { model: ['gpt-4o-2024-*'] }, target: { provider: 'openai', model: 'gpt-4.1-nano' }, percent: 25, fallbacks: [{ provider: 'openai', model: 'gpt-4o-mini' }] }

  test('lists the rules in force with the version, and every version with Restore on the old ones', async () => {
    await putRules(lectr, [a])
    await putRules(lectr, [a, b])
    const now = await routing()
    const { html } = await client.page('/settings/routing')
    expect(html).toContain(`Version <strong>${now.version}</strong>, saved`)
    for (const id of ['rule-a', 'rule-b']) expect(html).toContain(`<code class="rule-id">${id}</code>`)
    expect(html).toContain('<span class="badge">off</span>')
    expect(html).toContain('25%')
    expect(html).toContain('gpt-4o-2024-*')
    // every version listed, the one in force without a Restore button
    for (let v = 1; v <= now.version; v++) expect(html).toContain(`>Version ${v}</td>`)
    expect(html.match(/name="version" value="\d+"/g)!.length).toBe(now.version - 1)
    expect(html).not.toContain(`name="version" value="${now.version}"`)
    // the editor holds the rules in force
    const text = /<textarea[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!
    expect(JSON.parse(text.replaceAll('&quot;', '"'))).toEqual({ rules: now.rules })
  })

  test('the arms of the canary rule, compared over its lifetime', async () => {
    await putRules(lectr, [{ id: 'all-canary', enabled: true, match: { feature: ['arms'] }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 50 }])
    for (let i = 0; i < 20; i++) await (await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-feature': 'arms' })).text()
    const { html } = await client.page('/settings/routing')
    const card = /<section class="arm-card">\s*<h3 class="arm-title"><code class="rule-id">all-canary<\/code>[\s\S]*?<\/section>/.exec(html)![0]
    const arms = (await answerOf(await lectr.api('orgs/default/routing/arms'), 'routingArms')).arms.filter((r) => r.ruleId === 'all-canary')
    const requests = /<th scope="row">Requests<\/th><td class="num">(\d+|—)<\/td><td class="num">(\d+|—)<\/td>/.exec(card)!
    const n = (arm: string) => arms.find((r) => r.arm === arm)?.requests ?? '—'
    expect([requests[1], requests[2]]).toEqual([String(n('canary')), String(n('control'))])
    for (const metric of ['Error rate', 'Avg latency', 'Avg output tokens', 'Cost / request']) expect(card).toContain(`<th scope="row">${metric}</th>`)
  })

  test('restore: an old version becomes the newest', async () => {
    await putRules(lectr, [a])
    const old = (await routing()).version
    await putRules(lectr, [b])
    await client.page('/settings/routing')
    const res = await client.post('/settings/routing/restore', { version: String(old) })
    expect(res.status).toBe(303)
    const now = await routing()
    expect(res.headers.get('location')).toBe(`/settings/routing?done=restored&v=${now.version}&from=${old}`)
    expect(now.rules).toEqual([{ ...a, percent: 100 }])
    expect((await client.page(res.headers.get('location')!)).html).toContain(`Version ${old} restored as version ${now.version}.`)
    const missing = await client.post('/settings/routing/restore', { version: '9999' })
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('has no routing version 9999')
    expect((await routing()).version).toBe(now.version)
  })

  test('a rule set with problems shows every one and changes nothing, from Dry run and from Save', async () => {
    await client.page('/settings/routing')
    const before = await routing()
    const bad = JSON.stringify({ rules: [
      { id: 'x', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-nope' } },
      { id: 'x', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 0 },
    ] })
    for (const path of ['/settings/routing/dry-run', '/settings/routing/save']) {
      const res = await client.post(path, { rules: bad })
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('The rules were not saved: 3 problems.')
      for (const p of ['rules[0] (x): target openai/gpt-nope is not a model in the registry', 'rules[1] (x): duplicate id &quot;x&quot;', 'rules[1] (x): percent 0 is out of range (1 to 100)']) expect(html).toContain(p)
      // the text stays in the editor, and there is no Save button
      expect(html).toContain('gpt-nope')
      expect(html).not.toContain('formaction="/settings/routing/save"')
    }
    const notJson = await client.post('/settings/routing/dry-run', { rules: '{"rules": [' })
    expect(notJson.status).toBe(400)
    expect(await notJson.text()).toContain('The text is not valid JSON')
    expect(await routing()).toEqual(before)
  })

  test('a good set: Dry run shows the figures and a Save button; Save makes a new version; an edit after the dry run is dry-run again, not saved', async () => {
    await client.page('/settings/routing')
    const before = await routing()
    const text = JSON.stringify({ rules: [a, b] }, null, 2)
    const dry = await client.post('/settings/routing/dry-run', { rules: text })
    expect(dry.status).toBe(200)
    const html = await dry.text()
    expect(html).toContain('Dry run: the last 30 days replayed')
    expect(html).toContain(`Save as version ${before.version + 1}`)
    const checked = /name="checked" value="([0-9a-f]{64})"/.exec(html)![1]!
    expect(await routing()).toEqual(before)

    // Edited after the dry run: shown dry-run again, nothing saved.
    const edited = await client.post('/settings/routing/save', { rules: JSON.stringify({ rules: [a] }), checked })
    expect(edited.status).toBe(200)
    expect(await edited.text()).toContain('The rules changed since the dry run, so nothing was saved.')
    expect(await routing()).toEqual(before)
    // Save without any dry run: the same.
    expect(await (await client.post('/settings/routing/save', { rules: text })).text()).toContain('nothing was saved')
    expect(await routing()).toEqual(before)

    // The dry-run text, even re-indented (the browser sends CRLF): saved.
    const saved = await client.post('/settings/routing/save', { rules: text.replaceAll('\n', '\r\n'), checked })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe(`/settings/routing?done=saved&v=${before.version + 1}`)
    const now = await routing()
    expect(now.version).toBe(before.version + 1)
    expect(now.rules).toEqual([{ ...a, percent: 100 }, b])
    expect((await client.page(saved.headers.get('location')!)).html).toContain(`Saved as version ${now.version}.`)
  })

  test('signed out: the page sends you to sign in, and its forms change nothing', async () => {
    const stranger = Client.http(lectr.url)
    const res = await stranger.get('/settings/routing')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/signin?next=%2Fsettings%2Frouting')
    const before = await routing()
    expect((await stranger.post('/settings/routing/save', { rules: '{"rules":[]}' })).status).toBe(401)
    expect((await stranger.post('/recommendations/canary', { model: 'gpt-4o', task: 'classification', feature: 'triage' })).status).toBe(401)
    expect(await routing()).toEqual(before)
  })
})
