import { DAY_MS, type ProviderId } from '../domain'
import { Elysia } from 'elysia'
import { registryPage } from '../../views/pages/registry'
import { action, page, type Dashboard, type SignedIn } from './context'
import { overrideProblems } from '../registry/overrides'
import { formatUsd, plural } from '../../views/format'
import { htmlResponse, redirect } from './http'
import type { Config } from '../config'
import type { Price, ResolvedProvider } from '../registry/schema'
import type { ProviderInForce } from '../../views/types'
import { OVERRIDE_ENV } from '../providers'

/**
 * Each provider with the base URL Lectr sends to: the override setting when one is set, else the registry's (the
 * file's entry, else the provider module's). The environment variable is named when it overrides the registry.
 * Azure's endpoint is the org's own (Settings → Azure), so it has none here.
 * @example providersInForce(registry.providers.values(), { ...baseUrls, openai: 'http://egress:3128/v1' })[0].overriddenBy // 'LECTR_OPENAI_BASE_URL'
 */
export function providersInForce(providers: Iterable<ResolvedProvider>, baseUrls: Config['baseUrls']): ProviderInForce[] {
  return [...providers].map((p) => {
    const override = baseUrls[p.id] ?? null
    const env = override ? OVERRIDE_ENV.get(p.id) ?? null : null
    return { id: p.id, baseUrl: p.id === 'azure' ? null : (override ?? p.baseUrl ?? null), overriddenBy: env, prefixes: [...p.prefixes] }
  })
}

/** What a form's price fields hold: numbers where they are numbers, the text otherwise (so the problems name it). */
function priceFromForm(form: URLSearchParams): Record<string, unknown> {
  const price: Record<string, unknown> = {}
  for (const field of ['input', 'cachedInput', 'output'] as const) {
    const text = (form.get(field) ?? '').trim()
    if (text === '' && field === 'cachedInput') continue
    const n = Number(text)
    price[field] = text !== '' && Number.isFinite(n) ? n : text
  }
  return price
}

/** The notice after a form: from `?done=` (and, for a re-price, its counts). */
function doneNotice(params: URLSearchParams, source: string, url: string | undefined): string | null {
  switch (params.get('done')) {
    case 'reloaded':
      return url
        ? 'Registry URL checked: the registry in force is the one it serves.'
        : source === 'builtin'
        ? 'Lectr uses its built-in registry: there is no file to reload. Start it with --registry FILE to use your own.'
        : 'Registry reloaded.'
    case 'priced':
      return 'Price saved. New requests to this model are priced with it; re-price to give past requests a cost.'
    case 'removed':
      return 'Price removed.'
    case 'repriced': {
      const n = Number(params.get('n'))
      const usd = Number(params.get('usd'))
      const left = Number(params.get('left'))
      const days = Number(params.get('days'))
      if (![n, usd, left, days].every(Number.isFinite)) return null
      return `Re-priced ${plural(n, 'request')} of the last ${days} days: ${formatUsd(usd)} added.${left > 0 ? ` ${plural(left, 'request')} with token counts still ha${left === 1 ? 's' : 've'} no price.` : ''}`
    }
    default:
      return null
  }
}

const REPRICE_DAYS: ReadonlySet<string> = new Set(['7', '30'])

/**
 * GET /registry (source, version, last reload, errors, unpriced models, the admin's prices, models), POST
 * /registry/reload, POST /registry/overrides (add a price), POST /registry/overrides/remove and POST /registry/reprice
 * (the current org's last 7 or 30 days).
 */
export function registryRoutes(d: Dashboard) {
  const render = async (s: SignedIn, notice: string | null, noticeKind: 'success' | 'error' = 'success', status = 200) => {
    const json = d.deps.registry.toJSON()
    const now = d.deps.clock()
    return htmlResponse(
      registryPage(s.frame('Registry', 'registry'), {
        status: { ...json.status, source: json.status.source === 'builtin' ? 'built-in' : json.status.source },
        providers: providersInForce(d.deps.registry.current().providers.values(), d.deps.config.baseUrls),
        models: d.deps.registry.current().file.models,
        notice: notice ?? doneNotice(s.url.searchParams, json.status.source, json.status.url),
        noticeKind,
        now: now.toISOString(),
        unpriced: await d.deps.storage.events.unpricedModels(now.getTime() - 30 * DAY_MS),
        overrides: await d.deps.storage.settings.priceOverrides.list(),
        orgName: (await d.deps.storage.orgs.get(s.org))?.name ?? s.org,
      }),
      status,
    )
  }
  return new Elysia()
    .get('/registry', page(d, (s) => render(s, null)))
    .post(
      '/registry/reload',
      action(d, async () => redirect((await d.deps.registry.refresh()).ok ? '/registry?done=reloaded' : '/registry?done=failed')),
      { parse: 'none' },
    )
    .post(
      '/registry/overrides',
      action(d, async (s, form) => {
        const provider = form.get('provider') ?? ''
        const model = form.get('model') ?? ''
        const body = { price: priceFromForm(form) }
        const problems = overrideProblems(provider, model, body)
        if (problems.length) return render(s, `The price was not saved: ${problems.join('; ')}`, 'error', 400)
        await d.deps.storage.settings.priceOverrides.put(provider as ProviderId, model, body.price as unknown as Price)
        return redirect('/registry?done=priced#overrides')
      }),
      { parse: 'none' },
    )
    .post(
      '/registry/overrides/remove',
      action(d, async (s, form) => {
        if (!await d.deps.storage.settings.priceOverrides.remove(form.get('provider') ?? '', form.get('model') ?? '')) return render(s, 'There was no such price (already removed?).', 'error', 404)
        return redirect('/registry?done=removed#overrides')
      }),
      { parse: 'none' },
    )
    .post(
      '/registry/reprice',
      action(d, async (s, form) => {
        const days = form.get('days') ?? ''
        if (!REPRICE_DAYS.has(days)) return render(s, 'Re-price the last 7 or 30 days.', 'error', 400)
        const until = d.deps.clock().getTime()
        const result = await d.deps.storage.rollups.reprice(s.org, until - Number(days) * DAY_MS, until, d.deps.registry.current())
        return redirect(`/registry?done=repriced&days=${days}&n=${result.repriced}&usd=${result.costUsd}&left=${result.stillUnpriced}#reprice`)
      }),
      { parse: 'none' },
    )
}
