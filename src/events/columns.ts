import type { LectrEvent } from '../domain'
import { shownString } from '../limits'

/**
 * How an event field is stored in `events`: `text`, `int` and `real` as they are; `bool` as 0/1 (never null);
 * `time` (ISO 8601 in the event) as epoch milliseconds, so that time ranges are integer comparisons.
 */
export type ColumnKind = 'text' | 'int' | 'real' | 'bool' | 'time'

/** The kinds a field of type T may be stored as, so the table cannot store a number as text or a string as 0/1. */
type KindsOf<T> = [NonNullable<T>] extends [boolean] ? 'bool' : [NonNullable<T>] extends [number] ? 'int' | 'real' : 'text' | 'time'

/** One event field and its column. Field and kind are checked together (see `KindsOf`). */
export type EventColumn = {
  [F in keyof LectrEvent]-?: {
    field: F
    column: string
    kind: KindsOf<LectrEvent[F]>
    /**
     * `shown`: a string from a client or an upstream, read cut (`shownColumn`, `shownString`): a database written
     * before the length limits may hold a 20 MB model name, which must never be copied out whole to list or show events.
     */
    read?: 'shown'
  }
}[keyof LectrEvent]

/**
 * Every field of LectrEvent, once, with its column in `events`: the one list a new event field is added to (after
 * its migration). The INSERT, its values, the SELECT list and the row mapping are derived from it. The order is
 * that of the event objects read back, so of the events API's JSON keys.
 */
export const EVENT_FIELD_COLUMNS = [
  { field: 'id', column: 'id', kind: 'text' },
  { field: 'time', column: 'time', kind: 'time' },
  { field: 'org', column: 'org_id', kind: 'text' },
  { field: 'provider', column: 'provider', kind: 'text' },
  { field: 'providerUnknown', column: 'provider_unknown', kind: 'bool' },
  { field: 'detection', column: 'detection', kind: 'text' },
  { field: 'model', column: 'model', kind: 'text', read: 'shown' },
  { field: 'responseModel', column: 'response_model', kind: 'text', read: 'shown' },
  { field: 'endpoint', column: 'endpoint', kind: 'text' },
  { field: 'stream', column: 'stream', kind: 'bool' },
  { field: 'status', column: 'status', kind: 'int' },
  { field: 'errorCode', column: 'error_code', kind: 'text', read: 'shown' },
  { field: 'inputTokens', column: 'input_tokens', kind: 'int' },
  { field: 'cachedInputTokens', column: 'cached_input_tokens', kind: 'int' },
  { field: 'cacheWriteTokens', column: 'cache_write_tokens', kind: 'int' },
  { field: 'cacheWrite1hTokens', column: 'cache_write_1h_tokens', kind: 'int' },
  { field: 'outputTokens', column: 'output_tokens', kind: 'int' },
  { field: 'reasoningTokens', column: 'reasoning_tokens', kind: 'int' },
  { field: 'costUsd', column: 'cost_usd', kind: 'real' },
  { field: 'latencyMs', column: 'latency_ms', kind: 'real' },
  { field: 'ttfbMs', column: 'ttfb_ms', kind: 'real' },
  { field: 'feature', column: 'feature', kind: 'text', read: 'shown' },
  { field: 'task', column: 'task', kind: 'text' },
  { field: 'usageEstimated', column: 'usage_estimated', kind: 'bool' },
  { field: 'registryVersion', column: 'registry_version', kind: 'text' },
  { field: 'routedProvider', column: 'routed_provider', kind: 'text' },
  { field: 'routedModel', column: 'routed_model', kind: 'text', read: 'shown' },
  { field: 'ruleId', column: 'rule_id', kind: 'text' },
  { field: 'arm', column: 'arm', kind: 'text' },
  { field: 'routeSkipped', column: 'route_skipped', kind: 'text' },
  { field: 'attempts', column: 'attempts', kind: 'int' },
  { field: 'baselineCostUsd', column: 'baseline_cost_usd', kind: 'real' },
] as const satisfies readonly EventColumn[]

type Mapped = (typeof EVENT_FIELD_COLUMNS)[number]

// A LectrEvent field missing from the table fails the type check here, naming the field.
type Unmapped = Exclude<keyof LectrEvent, Mapped['field']>
const everyFieldMapped: [Unmapped] extends [never] ? true : { unmapped: Unmapped } = true
void everyFieldMapped

/** A row of `events` read back (SQLite: `SELECT ${EVENT_COLUMNS}`, src/storage/sqlite/event-columns.ts), keyed by column name. */
export type EventRow = {
  [C in Mapped as C['column']]: (C['kind'] extends 'text' ? string : number) | (null extends LectrEvent[C['field']] ? null : never)
}

const FIELDS: readonly (keyof LectrEvent)[] = EVENT_FIELD_COLUMNS.map((c) => c.field)
const COLUMNS: readonly string[] = EVENT_FIELD_COLUMNS.map((c) => c.column)
const KINDS: readonly ColumnKind[] = EVENT_FIELD_COLUMNS.map((c) => c.kind)
const SHOWN: readonly boolean[] = EVENT_FIELD_COLUMNS.map((c) => 'read' in c && c.read === 'shown')

// Events recorded in the same millisecond share one time string (see isoNow): a batch parses each only once.
let lastTimeText = ''
let lastTime = 0

/** A value as an event's column stores it (booleans as 0/1, the time as epoch ms). */
export type ColumnValue = string | number | null

/**
 * The INSERT's values for an event, in column order: booleans as 0/1, the time as epoch ms, an absent (optional)
 * field as null. Fills and returns `into` when given: SQLite copies bound values, so the writer reuses one array.
 */
export function eventValues(e: LectrEvent, into: ColumnValue[] = new Array(FIELDS.length)): ColumnValue[] {
  for (let i = 0; i < FIELDS.length; i++) {
    const v = e[FIELDS[i]!]
    switch (KINDS[i]) {
      case 'bool':
        into[i] = v ? 1 : 0
        break
      case 'time':
        if (v !== lastTimeText) {
          lastTimeText = v as string
          lastTime = Date.parse(lastTimeText)
        }
        into[i] = lastTime
        break
      default:
        into[i] = v === undefined ? null : (v as ColumnValue)
    }
  }
  return into
}

/** A row of `events` read back (see `EventRow`) as the event it records. */
export function toEvent(r: EventRow): LectrEvent {
  const row = r as unknown as Record<string, string | number | null>
  const e: Record<string, unknown> = {}
  for (let i = 0; i < FIELDS.length; i++) {
    const v = row[COLUMNS[i]!]!
    switch (KINDS[i]) {
      case 'bool':
        e[FIELDS[i]!] = v === 1
        break
      case 'time':
        e[FIELDS[i]!] = new Date(v as number).toISOString()
        break
      default:
        e[FIELDS[i]!] = SHOWN[i] ? shownString(v as string | null) : v
    }
  }
  return e as unknown as LectrEvent
}
