/** Prometheus text exposition format (version 0.0.4): the escaping and number rules, nothing else. */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * A label value as the text format wants it: backslash, double quote and line feed escaped.
 * @example escapeLabel('a"b\\c\nd') // 'a\\"b\\\\c\\nd'
 */
export function escapeLabel(value: string): string {
  return /["\\\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value
}

/**
 * `name="value",…` for a metric's label set, values escaped (the key of a series in the collector's maps).
 * @example labelString(['provider', 'model'], ['openai', 'gpt-4o']) // 'provider="openai",model="gpt-4o"'
 */
export function labelString(names: readonly string[], values: readonly string[]): string {
  let s = ''
  for (let i = 0; i < names.length; i++) s += `${i ? ',' : ''}${names[i]}="${escapeLabel(values[i]!)}"`
  return s
}

/** A sample value: integers as they are, the rest in JS's shortest round-trip form; `+Inf` for infinity. */
export function formatValue(n: number): string {
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  if (Number.isNaN(n)) return 'NaN'
  return String(n)
}

/** `name{labels} value`, or `name value` without labels. */
export function sample(name: string, labels: string, value: number): string {
  return labels ? `${name}{${labels}} ${formatValue(value)}` : `${name} ${formatValue(value)}`
}

export function header(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}`
}
