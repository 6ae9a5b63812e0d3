import type { Usage } from '../domain'
import { findModel } from './lookup'
import type { ProviderId } from '../domain'
import type { ModelEntry, Price, Registry } from './schema'

const PER_MILLION = 1_000_000
/** Every price with up to four decimals times whole tokens is a whole multiple of 1e-10 USD. */
const COST_QUANTUM = 1e10

/**
 * The registry entry a request is priced with (SPEC section 3): the model the provider named in its answer,
 * then the requested model; each exact, then without a date suffix; only entries of the provider used
 * (Azure uses OpenAI's). Azure names its models its own way, so for Azure, Azure spellings are translated
 * (`gpt-35-turbo`) and, as a last resort, the longest OpenAI id that starts the name is used
 * (`gpt-4o-2024-11-20-ft` or a deployment called `gpt-4o-prod` is priced as `gpt-4o`). Gemini's model list
 * names models `models/gemini-2.0-flash`, and clients copy that spelling.
 *
 * @example
 * priceModel(registry, 'openai', 'gpt-4o-2024-08-06', 'gpt-4o')?.id // 'gpt-4o'
 * priceModel(registry, 'groq', null, 'gpt-4o') // null: not a Groq model
 */
export function priceModel(
  registry: Registry,
  provider: ProviderId,
  responseModel: string | null,
  requestedModel: string | null,
): ModelEntry | null {
  const found = findModel(registry, provider, responseModel) ?? findModel(registry, provider, requestedModel)
  if (found) return found
  if (provider === 'gemini') {
    return findModel(registry, provider, withoutModelsPath(responseModel)) ?? findModel(registry, provider, withoutModelsPath(requestedModel))
  }
  if (provider !== 'azure') return null
  const response = fromAzureSpelling(responseModel)
  const requested = fromAzureSpelling(requestedModel)
  return (
    findModel(registry, provider, response) ??
    findModel(registry, provider, requested) ??
    longestOpenAiPrefix(registry, response) ??
    longestOpenAiPrefix(registry, requested)
  )
}

/** Azure drops the dot from GPT-3.5 (`gpt-35-turbo`, `gpt-35-turbo-16k`, `gpt-35-turbo-instruct`). */
function fromAzureSpelling(id: string | null): string | null {
  return id?.startsWith('gpt-35-') ? `gpt-3.5-${id.slice('gpt-35-'.length)}` : id
}

function withoutModelsPath(id: string | null): string | null {
  return id?.startsWith('models/') ? id.slice('models/'.length) : null
}

const openAiByLength = new WeakMap<Registry, ModelEntry[]>()

function longestOpenAiPrefix(registry: Registry, id: string | null): ModelEntry | null {
  if (!id) return null
  let candidates = openAiByLength.get(registry)
  if (!candidates) {
    candidates = [...registry.models.values()].filter((m) => m.provider === 'openai').sort((a, b) => b.id.length - a.id.length)
    openAiByLength.set(registry, candidates)
  }
  // Only whole name parts count: `o1` must not price `o1x`, nor `gpt-4` price `gpt-4o-...` (the longer id wins anyway).
  return candidates.find((m) => id.startsWith(m.id) && (id.length === m.id.length || id[m.id.length] === '-')) ?? null
}

/** The rates of one price (its base or a tier), in USD per 1M tokens. */
export interface Rates {
  input: number
  cachedInput?: number
  cacheWrite?: number
  cacheWrite1h?: number
  output: number
}

/**
 * The cost of one request in USD (SPEC section 8): `(input - cached - cacheWrite - cacheWrite1h) * input +
 * cached * cachedInput + cacheWrite * cacheWrite + cacheWrite1h * cacheWrite1h + output * output`, prices per 1M
 * tokens. A tier applies when the request has more input tokens than its `aboveInputTokens` (the highest such tier
 * wins) and replaces the whole price; a missing `cachedInput`, `cacheWrite` or `cacheWrite1h` means those tokens
 * cost the input price. Rounded to 1e-10 USD, which is exact for prices with up to four decimals and removes
 * float noise (0.1 + 0.2) from sums. Null when either the price or the usage is unknown.
 *
 * @example
 * costUsd({ input: 2.5, cachedInput: 1.25, output: 10 }, { inputTokens: 1000, cachedInputTokens: 200, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 100, reasoningTokens: 0 })
 * // 0.00325
 */
export function costUsd(price: Price | null | undefined, usage: Usage | null | undefined): number | null {
  if (!price || !usage) return null
  return costAtRates(priceFor(price, usage.inputTokens), usage)
}

/** `costUsd` at rates already chosen (no tier lookup): the same formula and rounding. */
export function costAtRates(rate: Rates, usage: Usage): number {
  const input = Math.max(0, usage.inputTokens)
  // Cache reads and writes are part of the input tokens; counts a provider reports beyond the input are trusted up
  // to the input, reads first, so (input - cached - writes) is never negative.
  const cached = Math.min(Math.max(0, usage.cachedInputTokens), input)
  const write = Math.min(Math.max(0, usage.cacheWriteTokens ?? 0), input - cached)
  const write1h = Math.min(Math.max(0, usage.cacheWrite1hTokens ?? 0), input - cached - write)
  const output = Math.max(0, usage.outputTokens)
  const perMillion =
    (input - cached - write - write1h) * rate.input +
    cached * (rate.cachedInput ?? rate.input) +
    write * (rate.cacheWrite ?? rate.input) +
    write1h * (rate.cacheWrite1h ?? rate.input) +
    output * rate.output
  return Math.round((perMillion / PER_MILLION) * COST_QUANTUM) / COST_QUANTUM
}

/** The price in force for a request with `inputTokens` input tokens: the base price or one of its tiers. */
export function priceFor(price: Price, inputTokens: number): Rates {
  let chosen: (Rates & { aboveInputTokens: number }) | null = null
  for (const tier of price.tiers ?? []) {
    if (inputTokens > tier.aboveInputTokens && (!chosen || tier.aboveInputTokens > chosen.aboveInputTokens)) chosen = tier
  }
  return chosen ?? price
}
