import { describe, expect, test } from 'bun:test'
import type { LectrEvent } from '../../src/events/types'
import { MetricsCollector, parseMetricsLabels } from '../../src/metrics/collector'
import { CappedValues, LABEL_MAX, modelLabel } from '../../src/metrics/labels'
import { escapeLabel } from '../../src/metrics/prom-text'
import type { Registry } from '../../src/registry/schema'
import { parseExposition, select, total } from './_prom'

const WEIRD = 'we"ird\\mod\nel'
const registry = {
  version: 'v"2\\x',
  models: new Map([
    ['gpt-4o', { id: 'gpt-4o', provider: 'openai' }],
    [WEIRD, { id: WEIRD, provider: 'openai' }],
    ['m'.repeat(300), { id: 'm'.repeat(300), provider: 'openai' }],
  ]),
} as unknown as Registry

function event(over: Partial<LectrEvent> & Record<string, unknown> = {}): LectrEvent {
  return {
    id: 'e1', time: '2026-01-01T00:00:00.000Z', org: 'acme', provider: 'openai', providerUnknown: false, detection: 'exact', model: 'gpt-4o',
    responseModel: 'gpt-4o', endpoint: 'chat/completions', stream: false, status: 200, errorCode: null, inputTokens: 10, cachedInputTokens: null,
    cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: 5, reasoningTokens: null, costUsd: 0.001, latencyMs: 120, ttfbMs: 100,
    feature: 'chat', task: null, usageEstimated: false, registryVersion: 'v1', ...over,
  } as LectrEvent
}

describe('label values', () => {
  test('escaped per the text format, and read back unchanged by a parser', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
    const c = new MetricsCollector({ version: '1.0.0', registry: () => registry })
    c.observe(event({ model: WEIRD, responseModel: WEIRD }))
    const x = parseExposition(c.render({ inFlight: 0, queueDepth: 0, dropped: 0 }))
    expect(select(x, 'lectr_requests_total')[0]!.labels.model).toBe(WEIRD)
    expect(select(x, 'lectr_registry_info')[0]!.labels.version).toBe('v"2\\x')
  })

  test('a model is _unlisted unless the registry lists it for that provider, _none without one, and cut to a length', () => {
    expect(modelLabel(registry, 'openai', 'gpt-4o')).toBe('gpt-4o')
    expect(modelLabel(registry, 'openai', 'gpt-4o-2024-08-06')).toBe('gpt-4o-2024-08-06')
    expect(modelLabel(registry, 'groq', 'gpt-4o')).toBe('_unlisted')
    expect(modelLabel(registry, 'openai', 'sk-live-a-key-as-a-model')).toBe('_unlisted')
    expect(modelLabel(registry, 'openai', null)).toBe('_none')
    expect(modelLabel(registry, 'openai', 'm'.repeat(300)).length).toBe(LABEL_MAX)
  })

  test('capped values: the first 100 keep their name, the rest are _other', () => {
    const orgs = new CappedValues()
    const labels = Array.from({ length: 150 }, (_, i) => orgs.label(`org-${i}`))
    expect(new Set(labels).size).toBe(101)
    expect(labels.filter((l) => l === '_other').length).toBe(50)
    expect(orgs.label('org-7')).toBe('org-7')
  })

  test('LECTR_METRICS_LABELS names', () => {
    expect(parseMetricsLabels(null)).toEqual([])
    expect(parseMetricsLabels('org,feature')).toEqual(['org', 'feature'])
    expect(parseMetricsLabels('feature')).toEqual(['feature'])
  })
})

describe('routing fields, when events carry them', () => {
  test('route is canary, control or skipped; per rule and arm; attempts beyond the first are fallbacks', () => {
    const c = new MetricsCollector({ version: '1.0.0', registry: () => registry })
    c.observe(event())
    c.observe(event({ ruleId: 'cheap', arm: 'canary', attempts: 3 }))
    c.observe(event({ ruleId: 'cheap', arm: 'canary', attempts: 1 }))
    c.observe(event({ ruleId: 'cheap', arm: 'control', attempts: 1 }))
    c.observe(event({ ruleId: 'cheap', arm: null, routeSkipped: 'no_key', attempts: 1 }))
    const x = parseExposition(c.render({ inFlight: 2, queueDepth: 3, dropped: 0 }))
    expect(total(x, 'lectr_requests_total', { route: 'none' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { route: 'canary' })).toBe(2)
    expect(total(x, 'lectr_requests_total', { route: 'control' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { route: 'skipped' })).toBe(1)
    expect(total(x, 'lectr_routing_requests_total', { rule: 'cheap', arm: 'canary' })).toBe(2)
    expect(total(x, 'lectr_routing_requests_total', { rule: 'cheap', arm: 'control' })).toBe(1)
    expect(total(x, 'lectr_routing_requests_total', { rule: 'cheap', arm: 'skipped' })).toBe(1)
    expect(total(x, 'lectr_fallbacks_total')).toBe(2)
    expect(total(x, 'lectr_in_flight_requests')).toBe(2)
    expect(total(x, 'lectr_event_queue_depth')).toBe(3)
  })
})

describe('series keys remembered per kind of event', () => {
  test('a model the registry in force starts listing is counted under its name from then on', () => {
    let inForce = { version: 'a', models: new Map() } as unknown as Registry
    const c = new MetricsCollector({ version: '1.0.0', registry: () => inForce })
    c.observe(event())
    inForce = registry
    c.observe(event())
    const x = parseExposition(c.render({ inFlight: 0, queueDepth: 0, dropped: 0 }))
    expect(total(x, 'lectr_requests_total', { model: '_unlisted' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { model: 'gpt-4o' })).toBe(1)
    expect(total(x, 'gen_ai_server_request_duration_seconds_count', { gen_ai_request_model: 'gpt-4o', gen_ai_response_model: 'gpt-4o' })).toBe(1)
  })

  test('events that differ only in how model and response model split the same text are told apart', () => {
    const listed = { version: 'v', models: new Map([['ab', { id: 'ab', provider: 'openai' }], ['c', { id: 'c', provider: 'openai' }]]) } as unknown as Registry
    const c = new MetricsCollector({ version: '1.0.0', registry: () => listed })
    c.observe(event({ model: 'ab', responseModel: 'c' }))
    c.observe(event({ model: 'a', responseModel: 'bc' }))
    c.observe(event({ model: 'ab', responseModel: 'c', status: 503 }))
    const x = parseExposition(c.render({ inFlight: 0, queueDepth: 0, dropped: 0 }))
    expect(total(x, 'lectr_requests_total', { model: 'ab', status_class: '2xx' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { model: 'ab', status_class: '5xx' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { model: '_unlisted' })).toBe(1)
    expect(total(x, 'gen_ai_client_token_usage_count', { gen_ai_request_model: 'ab', gen_ai_response_model: 'c', gen_ai_token_type: 'input' })).toBe(2)
  })

  test('org and feature labels (LECTR_METRICS_LABELS) still follow each event', () => {
    const c = new MetricsCollector({ version: '1.0.0', registry: () => registry, extraLabels: ['org', 'feature'] })
    c.observe(event({ org: 'acme', feature: 'chat' }))
    c.observe(event({ org: 'beta', feature: null }))
    const x = parseExposition(c.render({ inFlight: 0, queueDepth: 0, dropped: 0 }))
    expect(total(x, 'lectr_requests_total', { org: 'acme', feature: 'chat' })).toBe(1)
    expect(total(x, 'lectr_requests_total', { org: 'beta', feature: '_none' })).toBe(1)
    expect(total(x, 'lectr_cost_usd_total', { org: 'beta' })).toBe(0.001)
  })
})
