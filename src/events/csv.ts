import type { LectrEvent } from './types'

/** The event's JSON field names, in the order the events API writes them: the CSV header and column order. */
export const EVENT_FIELDS = [
  'id', 'time', 'org', 'provider', 'providerUnknown', 'detection', 'model', 'responseModel', 'endpoint', 'stream', 'status',
  'errorCode', 'inputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens',
  'costUsd', 'latencyMs', 'ttfbMs', 'feature', 'task', 'usageEstimated', 'registryVersion',
  'routedProvider', 'routedModel', 'ruleId', 'arm', 'routeSkipped', 'attempts', 'baselineCostUsd',
] as const satisfies readonly (keyof LectrEvent)[]

// Every field of the event, none twice: a field added to LectrEvent and not here fails to compile.
type Missing = Exclude<keyof LectrEvent, (typeof EVENT_FIELDS)[number]>
const everyField: [Missing] extends [never] ? true : { missing: Missing } = true
void everyField

/** A spreadsheet runs a cell that starts with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One CSV cell (RFC 4180): null is empty, booleans `true`/`false`. A string a spreadsheet would read as a formula
 * (model names and feature tags come from clients) gets a leading `'`, so it shows as text and never runs.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text
}

export const CSV_HEADER = `${EVENT_FIELDS.join(',')}\r\n`

export function csvLine(e: LectrEvent): string {
  return `${EVENT_FIELDS.map((f) => csvCell(e[f] ?? null)).join(',')}\r\n`
}
