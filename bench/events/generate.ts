// Realistic synthetic traffic for the event-log benchmarks: ~50 models over 5 providers (Zipf-weighted, as real
// traffic concentrates on a few models), 20 features, 6 tasks (5 + none), a few errors, log-normal token counts
// and latencies, prices from the built-in registry. One generator feeds both the real EventWriter (for samples)
// and the direct roll-up builder (for the 10M-event database), so the two can be compared.
import builtin from '../../src/registry/builtin.json'
import type { LectrEvent } from '../../src/events/types'

export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

export interface ModelSpec {
  id: string
  provider: 'openai' | 'anthropic' | 'groq' | 'gemini' | 'azure'
  price: { input: number; cachedInput: number; output: number } | null
  reasoning: boolean
}

const registryModels = (builtin as any).models as { id: string; provider: ModelSpec['provider']; price?: any }[]
export const MODELS: ModelSpec[] = [
  ...registryModels.map((m) => ({
    id: m.id,
    provider: m.provider,
    price: m.price ? { input: m.price.input, cachedInput: m.price.cachedInput ?? m.price.input, output: m.price.output } : null,
    reasoning: /^o\d/.test(m.id),
  })),
  // Azure deployments (priced as the OpenAI model they serve) and a fine-tune nobody priced.
  { id: 'gpt-4o-prod', provider: 'azure', price: { input: 2.5, cachedInput: 1.25, output: 10 }, reasoning: false },
  { id: 'gpt-4o-mini-eu', provider: 'azure', price: { input: 0.15, cachedInput: 0.075, output: 0.6 }, reasoning: false },
  { id: 'ft:gpt-4o-mini:acme:support:9x1', provider: 'openai', price: null, reasoning: false },
]
export const FEATURES: (string | null)[] = [
  'chat', 'search', 'support-bot', 'summaries', 'tagging', 'extraction', 'onboarding', 'email-draft', 'code-review',
  'translation', 'moderation', 'reports', 'sql-assistant', 'faq', 'notes', 'crm-enrich', 'agent', 'eval', 'ocr-cleanup', null,
]
export const TASKS: (LectrEvent['task'])[] = ['classification', 'extraction', 'summarisation', 'generation', 'reasoning', null]
export const PROVIDERS = ['openai', 'anthropic', 'groq', 'gemini', 'azure'] as const

/** Small, fast, seeded PRNG (mulberry32), so every build of the data set is the same. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Cumulative weights for picking index i with probability ~ 1/(i+1)^s. */
function zipf(n: number, s: number, shuffleSeed: number): Float64Array {
  const order = Array.from({ length: n }, (_, i) => i)
  const r = rng(shuffleSeed)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const w = new Float64Array(n)
  for (let rank = 0; rank < n; rank++) w[order[rank]] = 1 / (rank + 1) ** s
  const cum = new Float64Array(n)
  let acc = 0
  for (let i = 0; i < n; i++) cum[i] = acc += w[i]
  for (let i = 0; i < n; i++) cum[i] /= acc
  return cum
}
function pick(cum: Float64Array, u: number): number {
  let lo = 0
  let hi = cum.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cum[mid] < u) lo = mid + 1
    else hi = mid
  }
  return lo
}
const MODEL_CUM = zipf(MODELS.length, 1.1, 7)
const FEATURE_CUM = zipf(FEATURES.length, 0.9, 11)
const TASK_CUM = zipf(TASKS.length, 0.6, 13)

/** One event, compactly: what the roll-ups and the raw row need. */
export interface Compact {
  time: number
  model: number
  feature: number
  task: number
  status: number
  inputTokens: number | null
  cachedInputTokens: number | null
  outputTokens: number | null
  reasoningTokens: number | null
  costUsd: number | null
  latencyMs: number
}

function logNormal(r: () => number, median: number, sigma: number): number {
  // Box-Muller
  const u = Math.max(1e-12, r())
  const v = r()
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v))
}

/** One synthetic request at `time`. */
export function makeCompact(r: () => number, time: number): Compact {
  const model = pick(MODEL_CUM, r())
  const m = MODELS[model]
  const feature = pick(FEATURE_CUM, r())
  const task = pick(TASK_CUM, r())
  const u = r()
  const status = u < 0.985 ? 200 : u < 0.995 ? 429 : 500
  const latencyMs = Math.round(Math.min(120_000, logNormal(r, status === 200 ? 1400 : 120, 0.8)) * 100) / 100
  if (status !== 200) {
    return { time, model, feature, task, status, inputTokens: null, cachedInputTokens: null, outputTokens: null, reasoningTokens: null, costUsd: 0, latencyMs }
  }
  const inputTokens = Math.max(1, Math.round(logNormal(r, 900, 1.1)))
  const cachedInputTokens = r() < 0.3 ? Math.floor(inputTokens * 0.5) : 0
  const outputTokens = Math.max(1, Math.round(logNormal(r, 220, 0.9)))
  const reasoningTokens = m.reasoning ? Math.round(outputTokens * 0.6) : 0
  let costUsd: number | null = null
  if (m.price) {
    const raw = ((inputTokens - cachedInputTokens) * m.price.input + cachedInputTokens * m.price.cachedInput + outputTokens * m.price.output) / 1e6
    costUsd = Math.round(raw * 1e10) / 1e10
  }
  return { time, model, feature, task, status, inputTokens, cachedInputTokens, outputTokens, reasoningTokens, costUsd, latencyMs }
}

/** The full event the proxy would record for a compact one. */
export function toEvent(c: Compact, id: string): LectrEvent {
  const m = MODELS[c.model]
  return {
    id,
    time: new Date(c.time).toISOString(),
    org: 'default',
    provider: m.provider,
    providerUnknown: false,
    detection: m.provider === 'azure' ? 'header' : 'exact',
    model: m.id,
    responseModel: c.status === 200 ? m.id : null,
    endpoint: 'chat/completions' as LectrEvent['endpoint'],
    stream: c.model % 3 === 0,
    status: c.status,
    errorCode: c.status === 200 ? null : c.status === 429 ? 'rate_limit_exceeded' : 'server_error',
    inputTokens: c.inputTokens,
    cachedInputTokens: c.cachedInputTokens,
    cacheWriteTokens: null,
    cacheWrite1hTokens: null,
    outputTokens: c.outputTokens,
    reasoningTokens: c.reasoningTokens,
    costUsd: c.costUsd,
    latencyMs: c.latencyMs,
    ttfbMs: Math.round(c.latencyMs * 30) / 100,
    feature: FEATURES[c.feature],
    task: TASKS[c.task],
    usageEstimated: false,
    registryVersion: (builtin as any).version,
  }
}

/**
 * How many of `total` events fall in each of `hours` hours ending at `endHour`: a working-day curve (busy
 * 08:00-18:00 UTC, quiet nights, lighter weekends) on a traffic that grows 2x over the period.
 */
export function hourlyCounts(total: number, hours: number, endHour: number): { hour: number; count: number }[] {
  const weights: number[] = []
  for (let i = 0; i < hours; i++) {
    const hour = endHour - (hours - 1 - i) * HOUR_MS
    const d = new Date(hour)
    const h = d.getUTCHours()
    const day = d.getUTCDay()
    const diurnal = 0.25 + Math.max(0, Math.sin(((h - 6) / 14) * Math.PI))
    const weekly = day === 0 || day === 6 ? 0.45 : 1
    const growth = 1 + i / hours
    weights.push(diurnal * weekly * growth)
  }
  const sum = weights.reduce((a, b) => a + b, 0)
  const out = weights.map((w, i) => ({ hour: endHour - (hours - 1 - i) * HOUR_MS, count: Math.floor((w / sum) * total) }))
  let left = total - out.reduce((a, b) => a + b.count, 0)
  for (let i = out.length - 1; left > 0; i = (i - 1 + out.length) % out.length, left--) out[i].count++
  return out
}
