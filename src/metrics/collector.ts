import type { LectrEvent } from '../domain'
import type { Registry } from '../registry/schema'
import { CappedValues, LABEL_MAX, NONE } from './labels'
import { labelString } from './prom-text'
import { SeriesKeysMemo, type RouteLabel } from './series-keys'
import { Histogram, Series } from './series'

/** OpenTelemetry's advised boundaries for `gen_ai.client.token.usage`. */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
/** OpenTelemetry's advised boundaries for `gen_ai.server.request.duration` (seconds). */
export const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
/** OpenTelemetry's advised boundaries for `gen_ai.server.time_to_first_token` (seconds). */
export const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
/** Lectr's own time is expected in the sub-millisecond to millisecond range (seconds). */
export const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

/** Routing's fields, added to events by the routing rules; read loosely so that events without them count as `none`. */
interface RoutedFields {
  ruleId?: string | null
  arm?: string | null
  routeSkipped?: string | null
  attempts?: number | null
}

export interface CollectorOptions {
  version: string
  /** LECTR_METRICS_LABELS: which of `org` and `feature` become labels of the request and cost counters */
  extraLabels?: readonly ('org' | 'feature')[]
  /** the registry in force (for `_unlisted` and `lectr_registry_info`) */
  registry: () => Registry
}

/** What is read at scrape time rather than counted: the server's and the writer's state. */
export interface Gauges {
  inFlight: number
  queueDepth: number
  /** events lost since start (refused by SQLite, or beyond the queue without a spill file) */
  dropped: number
}

const cut = (s: string) => (s.length > LABEL_MAX ? s.slice(0, LABEL_MAX) : s)

/**
 * Lectr's metrics, counted from finished events (exactly what the event log records, so the counters agree with
 * the events) and rendered in the Prometheus text format. Counting is a few map updates per event.
 */
export class MetricsCollector {
  private readonly requests = new Series('lectr_requests_total', 'counter', 'Requests, one per event; model as requested (_unlisted: not in the registry), route: none canary control skipped.')
  private readonly cost = new Series('lectr_cost_usd_total', 'counter', 'Cost in US dollars of the priced requests.')
  private readonly unpriced = new Series('lectr_unpriced_requests_total', 'counter', 'Requests without a price (an unpriced model, or usage never reported).')
  private readonly routing = new Series('lectr_routing_requests_total', 'counter', 'Requests a routing rule applied to, per rule and arm (skipped: the rule was skipped).')
  private readonly fallbacks = new Series('lectr_fallbacks_total', 'counter', 'Fallback upstream calls made after a 429, a 5xx or an unreachable upstream.')
  private readonly tokens = new Histogram('gen_ai_client_token_usage', 'Tokens per request, by token type (input, output).', TOKEN_BUCKETS)
  private readonly duration = new Histogram('gen_ai_server_request_duration_seconds', 'Request duration as the client saw it, seconds.', DURATION_BUCKETS)
  private readonly ttft = new Histogram('gen_ai_server_time_to_first_token_seconds', 'Time to the first byte of a successful stream, seconds.', TTFT_BUCKETS)
  private readonly overhead = new Histogram('lectr_overhead_seconds', "Lectr's own time per request (its latency less the upstream's), seconds.", OVERHEAD_BUCKETS)
  private readonly orgs: CappedValues | null
  private readonly features: CappedValues | null
  private readonly extraNames: string[]
  private readonly keys = new SeriesKeysMemo()

  constructor(private readonly opts: CollectorOptions) {
    this.orgs = opts.extraLabels?.includes('org') ? new CappedValues() : null
    this.features = opts.extraLabels?.includes('feature') ? new CappedValues() : null
    this.extraNames = [...(this.orgs ? ['org'] : []), ...(this.features ? ['feature'] : [])]
    this.unpriced.set('', 0)
    this.fallbacks.set('', 0)
  }

  /** Counts one finished event. `overheadMs`: Lectr's own time, when the proxy measured it. */
  observe(e: LectrEvent, overheadMs?: number): void {
    const routed = e as LectrEvent & RoutedFields
    const route: RouteLabel = routed.routeSkipped ? 'skipped' : routed.arm === 'canary' || routed.arm === 'control' ? routed.arm : 'none'
    const keys = this.keys.get(this.opts.registry(), e, route)
    const extraLabels = this.extraNames.length ? ',' + this.extraLabels(e) : ''

    this.requests.add(extraLabels ? keys.requests + extraLabels : keys.requests)
    if (e.costUsd === null) this.unpriced.add('')
    else this.cost.add(extraLabels ? keys.cost + extraLabels : keys.cost, e.costUsd)
    if (routed.ruleId) this.routing.add(labelString(['rule', 'arm'], [cut(routed.ruleId), routed.arm ?? (routed.routeSkipped ? 'skipped' : NONE)]))
    if (typeof routed.attempts === 'number' && routed.attempts > 1) this.fallbacks.add('', routed.attempts - 1)

    if (e.inputTokens !== null) this.tokens.observe(keys.inputTokens, e.inputTokens)
    if (e.outputTokens !== null) this.tokens.observe(keys.outputTokens, e.outputTokens)
    this.duration.observe(keys.genai, e.latencyMs / 1000)
    if (e.stream && e.ttfbMs !== null && e.status < 400) this.ttft.observe(keys.genai, e.ttfbMs / 1000)
    if (overheadMs !== undefined) this.overhead.observe('', Math.max(0, overheadMs) / 1000)
  }

  /** LECTR_METRICS_LABELS' org and feature labels of an event (each capped, see CappedValues). */
  private extraLabels(e: LectrEvent): string {
    const extra: string[] = []
    if (this.orgs) extra.push(this.orgs.label(e.org))
    if (this.features) extra.push(this.features.label(e.feature))
    return labelString(this.extraNames, extra)
  }

  render(g: Gauges): string {
    const out: string[] = []
    this.requests.render(out)
    this.cost.render(out)
    this.unpriced.render(out)
    this.tokens.render(out)
    this.duration.render(out)
    this.ttft.render(out)
    this.overhead.render(out)
    this.routing.render(out)
    this.fallbacks.render(out)
    const gauge = (name: string, type: 'counter' | 'gauge', help: string, labels: string, v: number) => {
      const s = new Series(name, type, help)
      s.set(labels, v)
      s.render(out)
    }
    gauge('lectr_in_flight_requests', 'gauge', 'Proxied requests being handled now.', '', g.inFlight)
    gauge('lectr_event_queue_depth', 'gauge', 'Events waiting to be written (in memory and in the spill file).', '', g.queueDepth)
    gauge('lectr_events_dropped_total', 'counter', 'Events lost since start; must stay 0.', '', g.dropped)
    gauge('lectr_build_info', 'gauge', 'The running Lectr version.', labelString(['version'], [this.opts.version]), 1)
    gauge('lectr_registry_info', 'gauge', 'The registry version in force.', labelString(['version'], [cut(this.opts.registry().version)]), 1)
    return out.join('\n') + '\n'
  }
}

/** The names LECTR_METRICS_LABELS may hold. */
export function parseMetricsLabels(raw: string | null): ('org' | 'feature')[] {
  if (!raw) return []
  return [...new Set(raw.split(',').map((s) => s.trim()).filter((s): s is 'org' | 'feature' => s === 'org' || s === 'feature'))]
}
