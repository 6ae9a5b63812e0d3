import { describe, expect, test } from 'bun:test'
import * as fx from './fixtures'
import { HOSTILE } from './fixtures'
import type { RecommendationRow } from '../../views/types'
import { layout } from '../../views/layout'
import { html } from '../../views/html'
import { azurePage, KNOWN_AZURE_API_VERSIONS } from '../../views/pages/azure'
import { eventDetailPage } from '../../views/pages/event-detail'
import { eventsPage, eventsTable } from '../../views/pages/events'
import { keysPage } from '../../views/pages/keys'
import { modelsPage, modelsTable, sortModelRows } from '../../views/pages/models'
import { notFoundPage } from '../../views/pages/not-found'
import { overviewPage } from '../../views/pages/overview'
import { recommendationsPage } from '../../views/pages/recommendations'
import { registryPage } from '../../views/pages/registry'
import { routingPage } from '../../views/pages/routing'
import { signinPage } from '../../views/pages/signin'

/** A hostile string came through as text: escaped, never as markup, never breaking out of an attribute. */
function expectEscaped(page: string) {
  expect(page).not.toContain('<script>alert')
  expect(page).not.toContain('<img')
  expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#x27;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;')
}

const hostileFrame = () =>
  fx.frame({
    title: HOSTILE,
    orgs: [{ id: HOSTILE, name: HOSTILE }],
    currentOrg: HOSTILE,
    csrf: HOSTILE,
    registryError: [HOSTILE],
  })

const hostileEvent = () =>
  fx.event(0, {
    id: HOSTILE,
    org: HOSTILE,
    model: HOSTILE,
    responseModel: HOSTILE,
    feature: HOSTILE,
    task: HOSTILE as never,
    errorCode: HOSTILE,
    registryVersion: HOSTILE,
  })

/** Every page, rendered with normal fixtures: used for the CSP and structure checks. */
const PAGES: Record<string, string> = {
  signin: signinPage({ error: 'That token is not valid.', csrf: 't', next: '/models' }),
  overview: overviewPage(fx.frame(), fx.overview(fx.buckets(24))),
  models: modelsPage(fx.frame({ active: 'models' }), fx.models()),
  events: eventsPage(fx.frame({ active: 'events' }), fx.events()),
  eventDetail: eventDetailPage(fx.frame({ active: 'events' }), { event: fx.event(1) }),
  recommendations: recommendationsPage(fx.frame({ active: 'recommendations' }), fx.recommendations()),
  recommendationsEmpty: recommendationsPage(fx.frame({ active: 'recommendations' }), fx.recommendations({ rows: [] })),
  azure: azurePage(fx.frame({ active: 'azure' }), fx.azure()),
  keys: keysPage(fx.frame({ active: 'keys' }), fx.keys({ newKey: 'lk_secret' })),
  registry: registryPage(fx.frame({ active: 'registry' }), fx.registry()),
  notFound: notFoundPage(fx.frame({ active: null })),
  notFoundBare: notFoundPage(null),
}

describe('every string from a request is escaped', () => {
  test('layout: title, org names and ids, CSRF token, registry errors', () => {
    expectEscaped(layout(hostileFrame(), html`<p>body</p>`))
  })

  test('models page and fragment: model names and provider', () => {
    const data = fx.models({ rows: [{ ...fx.models().rows[0]!, model: HOSTILE, provider: HOSTILE }], provider: HOSTILE })
    expectEscaped(modelsPage(fx.frame(), data))
    expectEscaped(modelsTable(data))
  })

  test('events page and fragment: model, feature, task, filters, cursor, suggestions', () => {
    const data = fx.events({
      rows: [hostileEvent()],
      filters: { provider: HOSTILE, model: HOSTILE, feature: HOSTILE, task: HOSTILE, status: null },
      next: HOSTILE,
      paged: true,
      knownModels: [HOSTILE],
      knownFeatures: [HOSTILE],
    })
    expectEscaped(eventsPage(fx.frame(), data))
    expectEscaped(eventsTable(data))
  })

  test('event detail: every field', () => {
    expectEscaped(eventDetailPage(fx.frame(), { event: hostileEvent() }))
  })

  test('recommendations: models, tags, reason', () => {
    // task and provider are typed as known names; a hostile string there is deliberate: the page escapes whatever it gets
    const row = fx.recommendation({
      model: HOSTILE, suggestedModel: HOSTILE, feature: HOSTILE, reason: HOSTILE,
      task: HOSTILE as RecommendationRow['task'], provider: HOSTILE as RecommendationRow['provider'],
    })
    expectEscaped(recommendationsPage(fx.frame(), fx.recommendations({ rows: [row] })))
  })

  test('routing: rule ids, models, features, skip reasons, problems, the editor, notices', () => {
    const page = routingPage(hostileFrame(), fx.routingHostile())
    expectEscaped(page)
    // The editor's text is the textarea's content, escaped, so it cannot close the textarea either.
    expect(page).not.toContain('</textarea><')
    expect(page).toContain('<textarea id="routing-rules" name="rules" rows="18" spellcheck="false" autocomplete="off" aria-invalid="true" aria-describedby="routing-problems">&lt;script&gt;')
    const closing = routingPage(fx.frame(), fx.routing({ editor: '</textarea><script>alert(1)</script>' }))
    expect(closing).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>')
  })

  test('recommendations: the canary button carries the group, escaped', () => {
    const row = fx.recommendation({ model: HOSTILE, feature: HOSTILE })
    const page = recommendationsPage(fx.frame(), fx.recommendations({ rows: [row], error: HOSTILE }))
    expectEscaped(page)
    expect(page).toContain('action="/recommendations/canary"')
    expect(page).toContain(`name="model" value="${Bun.escapeHTML(HOSTILE)}"`)
    expect(page).toContain(`name="feature" value="${Bun.escapeHTML(HOSTILE)}"`)
  })

  test('azure: saved settings, submitted values, errors, notice', () => {
    const page = azurePage(fx.frame(), {
      saved: { endpoint: HOSTILE, apiVersion: HOSTILE },
      form: { endpoint: HOSTILE, apiVersion: HOSTILE },
      errors: [{ field: 'endpoint', message: HOSTILE }, { field: HOSTILE, message: HOSTILE }],
      notice: HOSTILE,
    })
    expectEscaped(page)
  })

  test('keys: labels, prefixes, ids in the revoke URL, the new key', () => {
    const page = keysPage(fx.frame(), {
      keys: [{ id: HOSTILE, prefix: HOSTILE, label: HOSTILE, createdAt: HOSTILE, revokedAt: null }],
      newKey: HOSTILE,
      notice: HOSTILE,
    })
    expectEscaped(page)
    // The id is URL-encoded inside the action, then the action attribute is escaped.
    expect(page).toContain(`action="/settings/keys/${encodeURIComponent(HOSTILE).replaceAll("'", '&#x27;')}/revoke"`)
  })

  test('registry: source, version, errors, model ids and downgrade targets', () => {
    const page = registryPage(fx.frame(), {
      status: { source: HOSTILE, version: HOSTILE, loadedAt: HOSTILE, lastError: [HOSTILE] },
      models: [{ id: HOSTILE, provider: 'openai', price: { input: 1, output: 2 }, downgrade: { conservative: HOSTILE, aggressive: HOSTILE } }],
      notice: HOSTILE,
    })
    expectEscaped(page)
  })

  test('sign-in error and next; not-found message', () => {
    expectEscaped(signinPage({ error: HOSTILE, next: HOSTILE, csrf: HOSTILE }))
    expectEscaped(notFoundPage(null, { message: HOSTILE }))
  })

  test('overview: bucket times in titles and labels', () => {
    const page = overviewPage(fx.frame(), fx.overview([{ start: HOSTILE, requests: 3, costUsd: 1, errors: 0 }]))
    expectEscaped(page)
  })
})

describe('pages fit the CSP (no inline script, no inline style, no event-handler attributes)', () => {
  for (const [name, page] of Object.entries(PAGES)) {
    test(name, () => {
      expect(page.startsWith('<!doctype html>')).toBe(true)
      for (const tag of page.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/ src="\/assets\/[a-z.]+\.js\?v=[0-9a-f]{12}"/)
      expect(page).not.toMatch(/<style\b/i)
      expect(page).not.toMatch(/\sstyle=/i)
      expect(page).not.toMatch(/<[^>]+\son[a-z]+=/i)
      expect(page).not.toMatch(/\shx-on/i)
      expect(page).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i)
      expect(page).toContain('<meta name="htmx-config"')
      expect(page).toContain('&quot;allowEval&quot;:false')
    })
  }

  test('every POST form carries the CSRF token', () => {
    for (const [name, page] of Object.entries(PAGES)) {
      if (name === 'signin' || name === 'notFoundBare') continue
      const forms = page.match(/<form\b[^>]*method="post"[\s\S]*?<\/form>/g) ?? []
      expect(forms.length, name).toBeGreaterThan(0)
      for (const form of forms) expect(form, name).toContain('<input type="hidden" name="_csrf" value="csrf-token-123">')
    }
  })
})

describe('layout', () => {
  test('marks the active nav entry, selects the current org, returns to the page after switching', () => {
    const page = PAGES.models!
    expect(page).toContain('<a class="tab is-active" href="/models" aria-current="page">Models</a>')
    expect(page).toContain('<option value="org_default" selected>default</option>')
    expect(page).toContain('<input type="hidden" name="next" value="/models">')
    expect(page).toContain('action="/orgs/switch"')
    expect(page).toContain('action="/signout"')
  })

  test('registry banner only when the last reload failed', () => {
    expect(layout(fx.frame(), html``)).not.toContain('banner-error')
    expect(layout(fx.frame({ registryError: ['bad price'] }), html``)).toContain('The registry failed to reload.')
    expect(layout(fx.frame({ registryError: [] }), html``)).not.toContain('banner-error')
  })

  test('sign-in page has no nav and no org data', () => {
    expect(PAGES.signin).not.toContain('class="tabs"')
    expect(PAGES.signin).not.toContain('orgs/switch')
    expect(PAGES.signin).toContain('name="token"')
  })
})

describe('models', () => {
  test('the seed rows, formatted like the seed', () => {
    const table = modelsTable(fx.models())
    for (const cell of ['gpt-4o', 'OpenAI', '1,204', '$142.00', '1.38s', 'Anthropic', '856', '$89.00', '1.12s', '$2.10', '0.78s']) {
      expect(table).toContain(`>${cell}<`)
    }
  })

  test('an unpriced model shows $0.00 (pricing unavailable); a partly priced one its cost and a note', () => {
    const table = modelsTable(fx.models())
    expect(table).toContain('$0.00 <span class="muted unpriced">(pricing unavailable)</span>')
    expect(table).toMatch(/\$11\.52 <span class="note"[^>]*>\+ 14 unpriced requests<\/span>/)
  })

  test('the fragment is just the table, with the id htmx targets', () => {
    const table = modelsTable(fx.models())
    expect(table.startsWith('<div id="models-table"')).toBe(true)
    expect(table).not.toContain('<html')
    expect(table).not.toContain('class="topbar"')
    expect(PAGES.models).toContain(table)
  })

  test('the filter form works as a plain GET and as htmx', () => {
    const form = PAGES.models!.match(/<form id="models-filters"[^>]*>/)![0]
    expect(form).toContain('method="get" action="/models"')
    expect(form).toContain('hx-get="/models" hx-target="#models-table" hx-swap="outerHTML" hx-push-url="true"')
  })

  test('sort links keep the filters and flip the active column', () => {
    const table = modelsTable(fx.models({ provider: 'openai', range: '30d', sort: 'cost', dir: 'desc' }))
    expect(table).toContain('href="/models?provider=openai&amp;range=30d&amp;sort=cost&amp;dir=asc"')
    expect(table).toContain('href="/models?provider=openai&amp;range=30d&amp;sort=model&amp;dir=asc"')
    expect(table).toContain('href="/models?provider=openai&amp;range=30d&amp;sort=latency&amp;dir=desc"')
    expect(table).toContain('aria-sort="descending"')
  })

  test('sortModelRows sorts by any column, both ways, ties broken by requests', () => {
    const rows = fx.models().rows
    expect(sortModelRows(rows, 'requests', 'desc').map((r) => r.requests)).toEqual([1204, 856, 401, 214, 96, 37, 12, 3])
    expect(sortModelRows(rows, 'cost', 'asc')[0]!.model).toBe('gemini-9-ultra-preview')
    expect(sortModelRows(rows, 'model', 'asc').map((r) => r.model).slice(0, 2)).toEqual(['', 'acme-internal-llm'])
    expect(sortModelRows(rows, 'input', 'desc')[0]!.inputTokens).toBe(1_500_000)
    expect(sortModelRows(rows, 'output', 'asc')[0]!.outputTokens).toBe(0)
    expect(sortModelRows(rows, 'latency', 'desc')[0]!.avgLatencyMs).toBe(2050)
    expect(sortModelRows(rows, 'provider', 'asc').map((r) => r.provider)[0]).toBe('anthropic')
  })

  test('empty state', () => {
    expect(modelsTable(fx.models({ rows: [] }))).toContain('No requests in this range')
  })
})

describe('events', () => {
  test('an empty page that is not the end says the search goes on, and offers the next page', () => {
    const table = eventsTable(fx.events({ rows: [], next: 'c1', filters: { provider: null, model: 'rare', feature: null, task: null, status: null } }))
    expect(table).toContain('No matches in this part of the log')
    expect(table).toContain('rel="next"')
    expect(eventsTable(fx.events({ rows: [], next: null, filters: { provider: null, model: 'rare', feature: null, task: null, status: null } }))).toContain('No events match these filters')
  })

  test('a long feature tag is cut short in the table, whole in its title', () => {
    const table = eventsTable(fx.events({ rows: [fx.event(0, { feature: 'a-very-long-feature-tag-name' })] }))
    expect(table).toContain('<span class="tag" title="a-very-long-feature-tag-name">a-very-long-feature-tag-name</span>')
  })

  test('newest first as given, each row linking to its detail page', () => {
    const table = eventsTable(fx.events())
    const links = [...table.matchAll(/href="\/events\/(evt_\d+)"/g)].map((m) => m[1])
    expect(links).toEqual(fx.events().rows.map((e) => e.id))
  })

  test('next page link carries the filters and the cursor, as a link and through htmx', () => {
    const data = fx.events({ filters: { provider: 'openai', model: 'gpt-4o', feature: null, task: null, status: 'error' }, next: 'c1' })
    const table = eventsTable(data)
    expect(table).toContain('href="/events?provider=openai&amp;model=gpt-4o&amp;status=error&amp;cursor=c1"')
    expect(table).toContain('hx-target="#events-table"')
    expect(table).not.toContain('Newest')
    expect(eventsTable({ ...data, paged: true })).toContain('>Newest</a>')
    expect(eventsTable({ ...data, next: null, paged: true })).toContain('End of the log')
    expect(eventsTable({ ...data, next: null })).not.toContain('class="pager"')
  })

  test('an unpriced event with usage: $0.00 (pricing unavailable); a refused one: a dash', () => {
    expect(eventsTable(fx.events({ rows: [fx.event(0, { costUsd: null })] }))).toContain('(pricing unavailable)')
    const refused = eventsTable(fx.events({ rows: [fx.event(0, { costUsd: null, inputTokens: null, outputTokens: null, status: 400 })] }))
    expect(refused).not.toContain('(pricing unavailable)')
  })

  test('the filter form has every filter the route reads', () => {
    for (const name of ['provider', 'model', 'feature', 'task', 'status']) expect(PAGES.events).toContain(`name="${name}"`)
  })

  test('empty states say whether filters hid everything', () => {
    expect(eventsTable(fx.events({ rows: [], next: null }))).toContain('No events yet')
    expect(eventsTable(fx.events({ rows: [], next: null, filters: { ...fx.events().filters, model: 'x' } }))).toContain('No events match these filters')
  })
})

describe('event detail', () => {
  test('shows every field of the event', () => {
    const e = fx.event(1)
    const page = eventDetailPage(fx.frame(), { event: e })
    const labels = [...page.matchAll(/<dt>([^<]+)<\/dt>/g)].map((m) => m[1])
    // One row per LectrEvent field (the Time row shows `time`).
    expect(labels.length).toBe(Object.keys(e).length)
    for (const value of [e.id, e.org, e.model, e.responseModel, e.feature, e.task, e.registryVersion]) {
      expect(page).toContain(String(value))
    }
    expect(eventDetailPage(fx.frame(), { event: fx.event(3) })).toContain('rate_limit_exceeded')
  })
})

describe('recommendations', () => {
  test('sorted by monthly savings, with the total', () => {
    const page = PAGES.recommendations!
    const savings = [...page.matchAll(/<td class="num savings" data-label="Savings\/mo">([^<]+)<\/td>/g)].map((m) => m[1])
    expect(savings).toEqual(['$133.48', '$65.30', '$20.10'])
    expect(page).toContain('<strong>$218.88</strong>')
    expect(page).toContain('gpt-4o-mini')
  })

  test('empty state explains tags and the minimum group size', () => {
    const page = PAGES.recommendationsEmpty!
    expect(page).toContain('No recommendations yet')
    expect(page).toContain('X-Lectr-Task')
    expect(page).toContain('X-Lectr-Feature')
    expect(page).toContain('20 requests')
  })
})

describe('azure', () => {
  test('the form, the known API versions and the Azure calling convention', () => {
    const page = PAGES.azure!
    expect(page).toContain('action="/settings/azure"')
    expect(page).toContain('name="endpoint" type="url" value="https://contoso.openai.azure.com"')
    expect(page).toContain('name="apiVersion"')
    for (const v of KNOWN_AZURE_API_VERSIONS) expect(page).toContain(`<option value="${v}">`)
    expect(page).toContain('X-Lectr-Provider: azure')
    expect(page).toContain('deployment name')
    expect(page).toContain('action="/settings/azure/delete"')
  })

  test('errors are listed, and shown beside their field, with the submitted values kept', () => {
    const page = azurePage(fx.frame(), {
      saved: null,
      form: { endpoint: 'http://10.0.0.5', apiVersion: 'nope' },
      errors: [{ field: 'endpoint', message: 'must start with https://' }, { field: null, message: 'whole form problem' }],
    })
    expect(page).toContain('The settings were not saved.')
    expect(page).toContain('<li>Endpoint: must start with https://</li>')
    expect(page).toContain('<li>whole form problem</li>')
    expect(page).toContain('<ul class="field-errors" id="endpoint-errors"><li>must start with https://</li></ul>')
    expect(page).toContain('value="http://10.0.0.5"')
    expect(page).toContain('aria-invalid="true" aria-describedby="endpoint-errors"')
    expect(page).not.toContain('/settings/azure/delete')
  })
})

describe('keys', () => {
  test('a new key is shown once, in its own box', () => {
    expect(PAGES.keys).toContain('value="lk_secret" readonly')
    expect(keysPage(fx.frame(), fx.keys())).not.toContain('new-key-value')
  })

  test('active keys have a revoke form; revoked ones say when', () => {
    const page = PAGES.keys!
    expect(page).toContain('action="/settings/keys/key_1/revoke"')
    expect(page).toContain('action="/settings/keys/key_2/revoke"')
    expect(page).not.toContain('action="/settings/keys/key_3/revoke"')
    expect(page).toContain('Revoked 2025-01-05')
    expect(page).toContain('name="label"')
  })
})

describe('registry', () => {
  test('status, models with prices, reload button; the error box only after a failed reload', () => {
    const page = PAGES.registry!
    expect(page).toContain('built-in')
    expect(page).toContain('18 min ago')
    expect(page).toContain('action="/registry/reload"')
    expect(page).toContain('$2.50')
    expect(page).toContain('claude-3-haiku</code> <span class="muted">aggressive</span>')
    expect(page).not.toContain('error-box')
    const failed = registryPage(fx.frame(), fx.registry({ status: { ...fx.registry().status, lastError: ['bad'] } }))
    expect(failed).toContain('class="error-box"')
  })
})
