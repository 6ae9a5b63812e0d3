import { findModel } from '../registry/lookup'
import type { ProviderId } from '../domain'
import type { Registry } from '../registry/schema'
import type { Endpoint } from '../domain'

/** Longest label value taken from a client's or provider's string; longer ones are cut (a label is not a payload). */
export const LABEL_MAX = 128
/** How many distinct org or feature values a label takes (LECTR_METRICS_LABELS); the rest are `_other`. */
export const CAPPED_VALUES = 100

export const UNLISTED = '_unlisted'
export const NONE = '_none'
export const OTHER = '_other'

/**
 * A model's label: as named when the registry in force lists it for that provider (exactly or without its date
 * suffix), `_unlisted` otherwise, `_none` when there is no model. Only registry models become values, so a client
 * cannot grow the series with made-up names.
 */
export function modelLabel(registry: Registry, provider: ProviderId, model: string | null): string {
  if (model === null || model === '') return NONE
  if (!findModel(registry, provider, model)) return UNLISTED
  return model.length > LABEL_MAX ? model.slice(0, LABEL_MAX) : model
}

/** OpenTelemetry's `gen_ai.operation.name` for a Lectr endpoint. */
export function operationName(endpoint: Endpoint): string {
  switch (endpoint) {
    case 'chat/completions':
    case 'responses':
    case 'messages':
      return 'chat'
    case 'completions':
      return 'text_completion'
    case 'embeddings':
      return 'embeddings'
    case 'messages/count_tokens':
      return 'count_tokens'
    default:
      return 'other'
  }
}

/** `2xx` `4xx` `5xx` (Lectr's 499 for a client that left is a `4xx`). */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

/**
 * The first `cap` distinct values keep their name, the rest are `_other`; so an org or feature label has at most
 * `cap` + 2 values (the `_none` included) however many there are.
 */
export class CappedValues {
  private readonly seen = new Set<string>()
  constructor(private readonly cap = CAPPED_VALUES) {}

  label(value: string | null): string {
    if (value === null || value === '') return NONE
    const v = value.length > LABEL_MAX ? value.slice(0, LABEL_MAX) : value
    if (this.seen.has(v)) return v
    if (this.seen.size >= this.cap) return OTHER
    this.seen.add(v)
    return v
  }
}
