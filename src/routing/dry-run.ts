import { DAY_MS } from '../domain'
import { INPUT_CLASS_FLOOR, INPUT_CLASS_STEP, inputOfClass } from '../rollups/replay-rollup'
import { costAtRates, priceFor, priceModel } from '../registry/pricing'
import type { Price, ProviderId, Registry, Task } from '../registry/schema'
import type { Endpoint } from '../usage/types'
import { firstMatch, type RouteRequest } from './match'
import { attemptFor, type RouteContext } from './plan'
import type { Rule, RuleSet } from './schema'

const COST_QUANTUM = 1e10

export interface DryRunFigures {
  /** requests whose first matching rule is this one (skipped ones included) */
  matched: number
  /** what the matched requests cost as recorded */
  costUsd: number
  /** what they would have cost: the same tokens priced at the target; a skipped request as recorded */
  projectedCostUsd: number
  /** projectedCostUsd - costUsd */
  deltaUsd: number
  /** deltaUsd × 30 / the window's days */
  monthlyDeltaUsd: number
}

/** One rule's figures (the name the dashboard uses). */
export type DryRunRuleResult = DryRunResult

export interface DryRunResult extends DryRunFigures {
  ruleId: string
  /** of `matched`, the requests the rule would skip (they go as sent), by reason */
  skipped: Record<string, number>
  /**
   * of `matched`, requests left out of the three costs because a price is missing: no cost was recorded, or the
   * target has no price (an Azure deployment name that is no known model)
   */
  unpriced: number
  /** the same figures for the rule's canary share: each one × percent / 100 (`matched` is then an expected count, fractional) */
  atPercent: DryRunFigures
}

/** One group of recorded requests that every rule sees alike (RollupStore.replayRows). */
export interface ReplayRow {
  provider: ProviderId
  model: string
  feature: string
  task: string
  endpoint: Endpoint
  stream: number
  /** roll-up path: the input class; raw path: the input tokens themselves */
  input_class: number
  requests: number
  unpriced_requests: number
  input_tokens: number
  cached_input_tokens: number
  cache_write_tokens: number
  cache_write_1h_tokens: number
  output_tokens: number
  cost_usd: number
}

interface Acc {
  matched: number
  skipped: Record<string, number>
  unpriced: number
  cost: number
  projected: number
}

/**
 * Replays an org's requests recorded in [since, until) against a proposed rule set (SPEC section 9, dry run): per
 * rule, the requests it would have matched first (the proxy's own matcher, in list order, first match wins), those
 * it would skip and why, and their cost as recorded and at the target. Keys are not in history, so a target of
 * another provider is assumed to get its key (`no_key` never appears); `unsupported_endpoint` and
 * `azure_not_configured` come from the proxy's own check (the endpoint as recorded; `azureApiVersion`: the org's Azure
 * settings now, null when it has none).
 *
 * Replays `rows` (RollupStore.replayRows over `replayWindow`: whole UTC days, the window widened to the days `since`
 * and `until` fall in; the monthly scale uses the window as asked), rows per day and combination, not per event; when
 * a target's price has a tier the roll-up's input classes cannot separate (`needsRawInputs`), rows from the raw
 * events instead, grouped by their input tokens (exact, slower).
 *
 * @example
 * const w = replayWindow(since, until)
 * const raw = needsRawInputs(registry, rules)
 * dryRun(await storage.rollups.replayRows('default', w.from, w.to, raw), raw, registry, null, rules, since, until).results[0].monthlyDeltaUsd
 */
export function dryRun(
  rows: readonly ReplayRow[], rawInputs: boolean, registry: Registry, azureApiVersion: string | null, rules: RuleSet['rules'], since: number, until: number,
): { results: DryRunResult[] } {
  const priceOf = targetPrices(registry, rules)
  const ctx: RouteContext = { keyFor: () => 'assumed', azureApiVersion }
  const accs = new Map<Rule, Acc>(rules.map((r) => [r, { matched: 0, skipped: {}, unpriced: 0, cost: 0, projected: 0 }]))

  for (const row of rows) {
    const req: RouteRequest = {
      model: row.model || null, provider: row.provider, feature: row.feature || null, task: (row.task || null) as Task | null,
      endpoint: row.endpoint, stream: row.stream === 1,
    }
    const rule = firstMatch(rules, req)
    if (!rule) continue
    const acc = accs.get(rule)!
    acc.matched += row.requests
    // The proxy's own check of the target (the share is applied after) tells whether it could take the request.
    const first = attemptFor(rule.target, req, ctx)
    if ('skipped' in first) {
      acc.skipped[first.skipped] = (acc.skipped[first.skipped] ?? 0) + row.requests
      acc.unpriced += row.unpriced_requests
      acc.cost += row.cost_usd
      acc.projected += row.cost_usd
      continue
    }
    const price = priceOf.get(rule)!
    if (row.endpoint === 'messages/count_tokens') {
      // Counting tokens is free wherever it goes (SPEC section 8).
      acc.unpriced += row.unpriced_requests
      acc.cost += row.cost_usd
      continue
    }
    if (!price) {
      acc.unpriced += row.requests
      continue
    }
    acc.unpriced += row.unpriced_requests
    acc.cost += row.cost_usd
    const input = rawInputs ? row.input_class : inputOfClass(row.input_class)
    acc.projected += costAtRates(priceFor(price, input), {
      inputTokens: row.input_tokens, cachedInputTokens: row.cached_input_tokens, cacheWriteTokens: row.cache_write_tokens,
      cacheWrite1hTokens: row.cache_write_1h_tokens, outputTokens: row.output_tokens, reasoningTokens: 0,
    })
  }

  const windowDays = (until - since) / DAY_MS
  return {
    results: rules.map((rule) => {
      const a = accs.get(rule)!
      const full = figures(a.matched, a.cost, a.projected, windowDays, 100)
      return {
        ruleId: rule.id, ...full, skipped: a.skipped, unpriced: a.unpriced,
        atPercent: figures(a.matched, a.cost, a.projected, windowDays, rule.percent ?? 100),
      }
    }),
  }
}

function figures(matched: number, cost: number, projected: number, windowDays: number, percent: number): DryRunFigures {
  const delta = ((projected - cost) * percent) / 100
  return {
    matched: (matched * percent) / 100,
    costUsd: usd((cost * percent) / 100),
    projectedCostUsd: usd((projected * percent) / 100),
    deltaUsd: usd(delta),
    monthlyDeltaUsd: windowDays > 0 ? usd((delta * 30) / windowDays) : 0,
  }
}

function usd(v: number): number {
  return Math.round(v * COST_QUANTUM) / COST_QUANTUM
}

/** The whole UTC days [since, until) falls in: what `replayRows` reads. */
export function replayWindow(since: number, until: number): { from: number; to: number } {
  return { from: since - (since % DAY_MS), to: until % DAY_MS === 0 ? until : until - (until % DAY_MS) + DAY_MS }
}

function targetPrices(registry: Registry, rules: RuleSet['rules']): Map<Rule, Price | null> {
  const priceOf = new Map<Rule, Price | null>()
  for (const r of rules) priceOf.set(r, priceModel(registry, r.target.provider, null, r.target.model)?.price ?? null)
  return priceOf
}

/**
 * Whether the replay must read the raw events: a target's price has a tier the roll-up's input classes cannot
 * separate. Each raw row's `input_class` then holds the input tokens themselves, so any tier applies exactly.
 */
export function needsRawInputs(registry: Registry, rules: RuleSet['rules']): boolean {
  return !everyPriceFitsClasses([...targetPrices(registry, rules).values()])
}

/** Whether the roll-up's input classes price every request of a class alike at these prices (see replay-rollup.ts). */
function everyPriceFitsClasses(prices: (Price | null)[]): boolean {
  return prices.every((p) => (p?.tiers ?? []).every((t) => t.aboveInputTokens >= INPUT_CLASS_FLOOR && t.aboveInputTokens % INPUT_CLASS_STEP === 0))
}
