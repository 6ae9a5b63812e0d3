/** Fixture data for the view tests and screenshots: the seed's dashboard numbers plus hostile strings. */
import type {
  AzureData,
  EventsData,
  KeysData,
  LayoutData,
  LectrEvent,
  ModelEntry,
  ModelsData,
  OverviewData,
  RecommendationRow,
  RecommendationsData,
  RegistryData,
  RoutingData,
  Rule,
  UsageBucket,
} from '../../views/types'

/** A string that would run script or break out of an attribute if it were not escaped. */
export const HOSTILE = `<script>alert("x")</script>'"><img src=x onerror=alert(1)>`

export const NOW = '2025-03-14T12:00:00.000Z'

export function frame(overrides: Partial<LayoutData> = {}): LayoutData {
  return {
    title: 'Overview',
    active: 'overview',
    orgs: [
      { id: 'org_default', name: 'default' },
      { id: 'org_acme', name: 'Acme production' },
    ],
    currentOrg: 'org_default',
    csrf: 'csrf-token-123',
    registryError: null,
    ...overrides,
  }
}

/** Hourly buckets ending at NOW, with a daily rhythm so the chart looks like real traffic. */
export function buckets(count: number, stepHours = 1): UsageBucket[] {
  const end = Date.parse(NOW)
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(end - (count - i) * stepHours * 3_600_000)
    const hour = start.getUTCHours()
    const daytime = Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI))
    const requests = Math.round((20 + 140 * daytime) * stepHours * (0.8 + ((i * 7919) % 40) / 100))
    return {
      start: start.toISOString(),
      requests,
      costUsd: Math.round(requests * (0.045 + ((i * 31) % 10) / 1000) * 100) / 100,
      errors: i % 9 === 0 ? Math.ceil(requests * 0.04) : 0,
    }
  })
}

export function overview(bucketList: UsageBucket[], range: OverviewData['range'] = '24h'): OverviewData {
  const requests = bucketList.reduce((s, b) => s + b.requests, 0)
  const errors = bucketList.reduce((s, b) => s + b.errors, 0)
  const cost = bucketList.reduce((s, b) => s + b.costUsd, 0)
  /** a share of the range's requests and cost, so the breakdowns add up to the totals */
  const part = (key: string, ofRequests: number, ofCost: number, unpricedRequests: number) => ({
    key, requests: Math.round(requests * ofRequests), costUsd: Math.round(cost * ofCost * 100) / 100, unpricedRequests,
  })
  return {
    range,
    totals: {
      requests,
      costUsd: bucketList.reduce((s, b) => s + b.costUsd, 0),
      unpricedRequests: requests ? 12 : 0,
      avgLatencyMs: requests ? 1184 : null,
      p95LatencyMs: requests ? 3420 : null,
      errorRate: requests ? errors / requests : null,
      inputTokens: requests ? 3_135_000 : 0,
      cachedInputTokens: requests ? 420_000 : 0,
      outputTokens: requests ? 680_000 : 0,
    },
    buckets: bucketList,
    byProvider: requests ? [part('openai', 0.6, 0.62, 0), part('anthropic', 0.3, 0.38, 0), part('gemini', 0.1, 0, 12)] : [],
    byFeature: requests ? [part('support-chat', 0.5, 0.55, 0), part('email-digest', 0.3, 0.3, 0), part('', 0.2, 0.15, 12)] : [],
    otherFeatures: null,
  }
}

export function models(overrides: Partial<ModelsData> = {}): ModelsData {
  return {
    rows: [
      { model: 'gpt-4o', provider: 'openai', requests: 1204, costUsd: 142, avgLatencyMs: 1380, inputTokens: 1_500_000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 300_000, unpricedRequests: 0 },
      { model: 'claude-3-5-sonnet', provider: 'anthropic', requests: 856, costUsd: 89, avgLatencyMs: 1120, inputTokens: 900_000, cachedInputTokens: 300_000, cacheWriteTokens: 40_000, cacheWrite1hTokens: 10_000, outputTokens: 200_000, unpricedRequests: 0 },
      { model: 'gpt-4o-mini', provider: 'openai', requests: 401, costUsd: 8, avgLatencyMs: 940, inputTokens: 400_000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 90_000, unpricedRequests: 0 },
      { model: 'llama-3.1-70b-versatile', provider: 'groq', requests: 214, costUsd: 2.1, avgLatencyMs: 780, inputTokens: 200_000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 60_000, unpricedRequests: 0 },
      { model: 'my-gpt4o-deployment', provider: 'azure', requests: 96, costUsd: 11.52, avgLatencyMs: 1510, inputTokens: 100_000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 20_000, unpricedRequests: 14 },
      { model: 'gemini-9-ultra-preview', provider: 'gemini', requests: 37, costUsd: 0, avgLatencyMs: 2050, inputTokens: 30_000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 9_000, unpricedRequests: 37 },
      { model: 'acme-internal-llm', provider: 'openai', requests: 12, costUsd: 0, avgLatencyMs: 8.4, inputTokens: 5_000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 1_000, unpricedRequests: 12, providerUnknown: true },
      { model: '', provider: 'openai', requests: 3, costUsd: 0, avgLatencyMs: 120, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, unpricedRequests: 3, providerUnknown: true },
    ],
    provider: null,
    range: '7d',
    sort: 'requests',
    dir: 'desc',
    ...overrides,
  }
}

export function event(i: number, overrides: Partial<LectrEvent> = {}): LectrEvent {
  const choices = [
    { provider: 'openai', model: 'gpt-4o', feature: 'support-chat', task: 'generation' },
    { provider: 'anthropic', model: 'claude-3-5-sonnet', feature: 'ticket-triage', task: 'classification' },
    { provider: 'groq', model: 'llama-3.1-70b-versatile', feature: null, task: null },
    { provider: 'openai', model: 'gpt-4o-mini', feature: 'search', task: 'extraction' },
  ] as const
  const c = choices[i % choices.length]!
  const status = i % 11 === 3 ? 429 : i % 17 === 5 ? 502 : 200
  return {
    id: `evt_${String(1000 - i).padStart(6, '0')}`,
    time: new Date(Date.parse(NOW) - i * 47_000).toISOString(),
    org: 'org_default',
    provider: c.provider,
    providerUnknown: false,
    detection: 'exact',
    model: c.model,
    responseModel: `${c.model}-2024-08-06`,
    endpoint: 'chat/completions',
    stream: i % 2 === 0,
    status,
    errorCode: status === 200 ? null : status === 429 ? 'rate_limit_exceeded' : 'lectr_upstream_unreachable',
    inputTokens: status === 200 ? 800 + i * 37 : null,
    cachedInputTokens: status === 200 ? 128 : null,
    cacheWriteTokens: status === 200 ? 0 : null,
    cacheWrite1hTokens: status === 200 ? 0 : null,
    outputTokens: status === 200 ? 120 + i * 5 : null,
    reasoningTokens: 0,
    costUsd: status === 200 ? (c.model === 'gpt-4o-mini' ? 0.00021 : 0.0042 + i / 10_000) : null,
    latencyMs: 400 + ((i * 389) % 2400),
    ttfbMs: 180 + ((i * 97) % 600),
    feature: c.feature,
    task: c.task,
    usageEstimated: i === 6,
    registryVersion: '2025-03-01',
    routedProvider: null,
    routedModel: null,
    ruleId: null,
    arm: null,
    routeSkipped: null,
    attempts: 1,
    baselineCostUsd: null,
    ...overrides,
  }
}

export function events(overrides: Partial<EventsData> = {}): EventsData {
  return {
    rows: Array.from({ length: 15 }, (_, i) => event(i)),
    filters: { provider: null, model: null, feature: null, task: null, status: null },
    next: 'eyJ0IjoiMjAyNS0wMy0xNCJ9',
    knownModels: ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet'],
    knownFeatures: ['support-chat', 'ticket-triage', 'search'],
    ...overrides,
  }
}

export function recommendation(overrides: Partial<RecommendationRow> = {}): RecommendationRow {
  return {
    model: 'gpt-4o',
    provider: 'openai',
    task: 'classification',
    feature: 'ticket-triage',
    suggestedModel: 'gpt-4o-mini',
    aggressiveness: 'aggressive',
    requests: 1204,
    currentCostUsd: 142,
    projectedCostUsd: 8.52,
    monthlySavingsUsd: 133.48,
    reason: 'Classification with short prompts: the smallest viable model in the chain.',
    avgInputTokens: 1246,
    avgOutputTokens: 12,
    ...overrides,
  }
}

export function recommendations(overrides: Partial<RecommendationsData> = {}): RecommendationsData {
  return {
    rows: [
      recommendation({ model: 'claude-3-5-sonnet', provider: 'anthropic', suggestedModel: 'claude-3-5-haiku', task: 'summarisation', feature: 'digest', aggressiveness: 'moderate', requests: 856, currentCostUsd: 89, projectedCostUsd: 23.7, monthlySavingsUsd: 65.3, reason: 'Summaries of short documents: one step down.', avgInputTokens: 2210, avgOutputTokens: 310 }),
      recommendation(),
      recommendation({ model: 'gpt-4o', task: null, feature: null, aggressiveness: 'conservative', requests: 188, currentCostUsd: 21.4, projectedCostUsd: 1.3, monthlySavingsUsd: 20.1, reason: 'Untagged requests with short outputs: one step down.', avgInputTokens: 640, avgOutputTokens: 48 }),
    ],
    minRequests: 20,
    windowDays: 30,
    ...overrides,
  }
}

export function azure(overrides: Partial<AzureData> = {}): AzureData {
  return { saved: { endpoint: 'https://contoso.openai.azure.com', apiVersion: '2024-10-21' }, ...overrides }
}

export function keys(overrides: Partial<KeysData> = {}): KeysData {
  return {
    keys: [
      { id: 'key_1', prefix: 'lk_3f9a', label: 'production', createdAt: '2025-01-02T10:00:00Z', revokedAt: null },
      { id: 'key_2', prefix: 'lk_81c0', label: 'staging', createdAt: '2025-02-11T09:30:00Z', revokedAt: null },
      { id: 'key_3', prefix: 'lk_0b7e', label: null, createdAt: '2024-12-01T08:00:00Z', revokedAt: '2025-01-05T12:00:00Z' },
    ],
    ...overrides,
  }
}

export const REGISTRY_MODELS: ModelEntry[] = [
  { id: 'gpt-4o', provider: 'openai', price: { input: 2.5, cachedInput: 1.25, output: 10 }, downgrade: { conservative: 'gpt-4o-mini' } },
  { id: 'gpt-4o-mini', provider: 'openai', price: { input: 0.15, cachedInput: 0.075, output: 0.6 } },
  { id: 'o1-mini', provider: 'openai', price: { input: 1.1, output: 4.4 }, downgrade: { conservative: 'gpt-4o-mini' } },
  { id: 'claude-3-5-sonnet', provider: 'anthropic', price: { input: 3, cachedInput: 0.3, output: 15 }, downgrade: { conservative: 'claude-3-5-haiku', aggressive: 'claude-3-haiku' } },
  { id: 'claude-3-5-haiku', provider: 'anthropic', price: { input: 0.8, cachedInput: 0.08, output: 4 } },
  { id: 'llama-3.1-70b-versatile', provider: 'groq', price: { input: 0.59, output: 0.79 }, downgrade: { conservative: 'llama-3.1-8b-instant' }, routingTarget: true },
  { id: 'gemini-1.5-pro', provider: 'gemini', price: { input: 1.25, output: 5, tiers: [{ aboveInputTokens: 128000, input: 2.5, output: 10 }] } },
  { id: 'gemini-exp', provider: 'gemini', price: null },
]

export function registry(overrides: Partial<RegistryData> = {}): RegistryData {
  return {
    status: { source: 'built-in', version: '2025-03-01', loadedAt: '2025-03-14T11:42:00Z', lastError: null },
    providers: [
      { id: 'openai', baseUrl: 'https://egress.internal.example:3128/openai/v1', overriddenBy: 'LECTR_OPENAI_BASE_URL', prefixes: ['gpt-', 'o1', 'o3', 'text-embedding-'] },
      { id: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', overriddenBy: null, prefixes: ['claude-'] },
      { id: 'groq', baseUrl: 'https://api.groq.com/openai/v1', overriddenBy: null, prefixes: ['llama-', 'mixtral-'] },
      { id: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', overriddenBy: null, prefixes: ['gemini-'] },
      { id: 'azure', baseUrl: null, overriddenBy: null, prefixes: [] },
    ],
    models: REGISTRY_MODELS,
    now: NOW,
    ...overrides,
  }
}

export const ROUTING_RULES: Rule[] = [
  { id: 'canary-gpt-4o-classification-ticket-triage', enabled: true, match: { provider: ['openai'], model: ['gpt-4o'], task: ['classification'], feature: ['ticket-triage'] }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 10 },
  { id: 'digest-to-haiku', enabled: true, match: { feature: ['email-digest', 'weekly-report'], model: ['claude-3-5-sonnet-*'], stream: false }, target: { provider: 'anthropic', model: 'claude-3-5-haiku-20241022' }, percent: 50, fallbacks: [{ provider: 'anthropic', model: 'claude-3-5-sonnet-20241022' }, { provider: 'openai', model: 'gpt-4o-mini' }] },
  { id: 'summaries-old', enabled: false, match: { task: ['summarisation'] }, target: { provider: 'groq', model: 'llama-3.1-8b-instant' }, percent: 100 },
]

export function routing(overrides: Partial<RoutingData> = {}): RoutingData {
  const arm = (ruleId: string, which: 'canary' | 'control', requests: number, errors: number, avgLatencyMs: number, avgOutputTokens: number, costUsd: number) => ({
    ruleId, arm: which, requests, errors, avgLatencyMs, avgOutputTokens, costUsd, costPerRequestUsd: costUsd / requests, baselineCostUsd: costUsd,
  })
  return {
    version: 4,
    updatedAt: '2025-03-14T09:12:00Z',
    rules: ROUTING_RULES,
    versions: [
      { version: 4, updatedAt: '2025-03-14T09:12:00Z', ruleCount: 3, inForce: true },
      { version: 3, updatedAt: '2025-03-10T16:40:00Z', ruleCount: 2, inForce: false },
      { version: 2, updatedAt: '2025-03-02T11:05:00Z', ruleCount: 2, inForce: false },
      { version: 1, updatedAt: '2025-02-20T08:00:00Z', ruleCount: 1, inForce: false },
    ],
    arms: [
      arm('canary-gpt-4o-classification-ticket-triage', 'canary', 121, 1, 412.5, 11.8, 0.0216),
      arm('canary-gpt-4o-classification-ticket-triage', 'control', 1083, 9, 688.1, 12.2, 3.2491),
      arm('digest-to-haiku', 'canary', 428, 6, 1840.2, 296.4, 1.2012),
      arm('digest-to-haiku', 'control', 428, 3, 3122.9, 311.0, 4.5531),
      arm('gpt4-to-mini-2024', 'canary', 64, 0, 301, 40.2, 0.0031),
    ],
    editor: JSON.stringify({ rules: ROUTING_RULES }, null, 2),
    ...overrides,
  }
}

/** The Routing page after a dry run of its own rules: the figures, and Save. */
export function routingDryRun(): RoutingData {
  const figures = (matched: number, costUsd: number, projectedCostUsd: number) => ({
    matched, costUsd, projectedCostUsd, deltaUsd: projectedCostUsd - costUsd, monthlyDeltaUsd: projectedCostUsd - costUsd,
  })
  return routing({
    dryRun: {
      rules: ROUTING_RULES,
      windowDays: 30,
      checked: 'f'.repeat(64),
      results: [
        { ruleId: ROUTING_RULES[0]!.id, skipped: {}, unpriced: 0, ...figures(1204, 3.2707, 0.1962), atPercent: figures(120, 0.3271, 0.0196) },
        { ruleId: ROUTING_RULES[1]!.id, skipped: { unsupported_endpoint: 12, no_key: 3 }, unpriced: 0, ...figures(856, 5.7543, 1.5344), atPercent: figures(428, 2.8771, 0.7672) },
      ],
    },
  })
}

/** Every user-written string of the Routing page hostile: model names, features, skip reasons, problems, the editor. */
export function routingHostile(): RoutingData {
  const rule: Rule = { id: 'hostile', enabled: true, match: { model: [HOSTILE], feature: [HOSTILE] }, target: { provider: 'azure', model: HOSTILE }, fallbacks: [{ provider: 'azure', model: HOSTILE }] }
  const fig = { matched: 1, costUsd: 1, projectedCostUsd: 1, deltaUsd: 0, monthlyDeltaUsd: 0 }
  return routing({
    rules: [rule],
    arms: [{ ruleId: HOSTILE, arm: 'canary', requests: 1, errors: 0, avgLatencyMs: 1, avgOutputTokens: 1, costUsd: 0, costPerRequestUsd: 0, baselineCostUsd: 0 }],
    editor: HOSTILE,
    problems: [HOSTILE],
    error: HOSTILE,
    notice: HOSTILE,
    dryRun: { rules: [rule], windowDays: 30, checked: HOSTILE, results: [{ ruleId: 'hostile', skipped: { [HOSTILE]: 2 }, unpriced: 0, ...fig, atPercent: fig }] },
  })
}
