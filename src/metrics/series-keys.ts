import type { LectrEvent } from '../domain'
import type { Registry } from '../registry/schema'
import { modelLabel, operationName, statusClass } from './labels'
import { labelString } from './prom-text'

/** The label sets (series keys) an event is counted under, before LECTR_METRICS_LABELS' org and feature. */
export interface SeriesKeys {
  requests: string
  cost: string
  genai: string
  inputTokens: string
  outputTokens: string
}

export type RouteLabel = 'none' | 'canary' | 'control' | 'skipped'

const REQUEST_LABELS = ['provider', 'model', 'endpoint', 'status_class', 'route']
const COST_LABELS = ['provider', 'model']
const GENAI_LABELS = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model']

/** The series keys of an event, worked out from the registry in force (models it does not list are `_unlisted`). */
export function seriesKeys(registry: Registry, e: Pick<LectrEvent, 'provider' | 'model' | 'responseModel' | 'endpoint' | 'status'>, route: RouteLabel): SeriesKeys {
  const model = modelLabel(registry, e.provider, e.model)
  const genai = labelString(GENAI_LABELS, [operationName(e.endpoint), e.provider, model, modelLabel(registry, e.provider, e.responseModel)])
  return {
    requests: labelString(REQUEST_LABELS, [e.provider, model, e.endpoint, statusClass(e.status), route]),
    cost: labelString(COST_LABELS, [e.provider, model]),
    genai,
    inputTokens: `${genai},gen_ai_token_type="input"`,
    outputTokens: `${genai},gen_ai_token_type="output"`,
  }
}

/** Kinds of event remembered at most; past it the memory starts again (clients choose the model names). */
const MAX_KINDS = 1000

/**
 * `seriesKeys`, remembered per kind of event (provider, models, endpoint, status, route) for the registry in force:
 * almost every event is of a kind seen before. Building the keys each time (label strings, registry look-ups, fresh
 * strings hashed by five maps) cost 3.2 us an event (bench/handler-ab.ts with `:on`, 16 slices, 2026-12-07).
 */
export class SeriesKeysMemo {
  private registry: Registry | null = null
  private readonly known = new Map<string, SeriesKeys>()

  get(registry: Registry, e: Pick<LectrEvent, 'provider' | 'model' | 'responseModel' | 'endpoint' | 'status'>, route: RouteLabel): SeriesKeys {
    if (registry !== this.registry) {
      this.known.clear()
      this.registry = registry
    }
    // null and '' name no model alike (`_none`); the length keeps "a"+"bc" apart from "ab"+"c".
    const model = e.model ?? ''
    const kind = `${e.provider} ${e.endpoint} ${e.status} ${route} ${model.length} ${model}${e.responseModel ?? ''}`
    let keys = this.known.get(kind)
    if (!keys) {
      if (this.known.size >= MAX_KINDS) this.known.clear()
      keys = seriesKeys(registry, e, route)
      this.known.set(kind, keys)
    }
    return keys
  }
}
