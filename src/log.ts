import type { LectrEvent } from './domain'

export type LogFormat = 'text' | 'json'
type Level = 'info' | 'warn' | 'error'
type Fields = Record<string, unknown>

interface LogSinks {
  out: (line: string) => void
  err: (line: string) => void
}

let format: LogFormat = 'text'
let sinks: LogSinks = { out: (l) => console.log(l), err: (l) => console.error(l) }

/** Set once by main.ts from LECTR_LOG_FORMAT, before the first line; tests may pass their own sinks. */
export function configureLog(opts: { format: LogFormat; sinks?: LogSinks }): void {
  format = opts.format
  if (opts.sinks) sinks = opts.sinks
}

/**
 * The format asked for, read before the settings are parsed, so that even "the settings have problems" is JSON when
 * asked (those lines come before there is a parsed config).
 */
export function requestedLogFormat(argv: string[], env: Record<string, string | undefined>): LogFormat {
  const i = argv.lastIndexOf('--log-format')
  const flag = i >= 0 ? argv[i + 1] : argv.findLast((a) => a.startsWith('--log-format='))?.slice('--log-format='.length)
  return (flag ?? env.LECTR_LOG_FORMAT)?.trim() === 'json' ? 'json' : 'text'
}

/**
 * One log line as the format wants it. Text: `text` (or `msg`) as Lectr has always printed it, possibly several
 * lines (the banner). JSON: exactly one line, `{time, level, event, msg, ...fields}`.
 *
 * @example formatLine('json', 'info', 'stop', 'lectr: stopped', { written: 3 }, new Date(0))
 * // '{"time":"1970-01-01T00:00:00.000Z","level":"info","event":"stop","msg":"lectr: stopped","written":3}'
 */
export function formatLine(fmt: LogFormat, level: Level, event: string, msg: string, fields: Fields | undefined, now: Date, text?: string): string {
  if (fmt === 'text') return text ?? msg
  return JSON.stringify({ time: now.toISOString(), level, event, msg, ...fields })
}

function emit(level: Level, event: string, msg: string, fields?: Fields, text?: string): void {
  const line = formatLine(format, level, event, msg, fields, new Date(), text)
  // Warnings (a registry rejected on reload) stay on stdout, where Lectr has always printed them.
  if (level !== 'error') sinks.out(line)
  else sinks.err(line)
}

/** Lectr's log: one line per start, stop, reload and error (and per request with LECTR_ACCESS_LOG=1). */
export const log = {
  /** `text`: what the text format prints instead of `msg` (the multi-line banner) */
  info: (event: string, msg: string, fields?: Fields, text?: string) => emit('info', event, msg, fields, text),
  warn: (event: string, msg: string, fields?: Fields, text?: string) => emit('warn', event, msg, fields, text),
  error: (event: string, msg: string, fields?: Fields, text?: string) => emit('error', event, msg, fields, text),
}

/**
 * The access line of one finished request: ids, labels, status, timing and cost; never a key, a feature tag or any
 * content. The model, a client's string, is quoted in the text format so that it cannot start a line of its own.
 */
export function accessFields(e: LectrEvent): Fields {
  return { id: e.id, org: e.org, provider: e.provider, model: e.model, status: e.status, latencyMs: e.latencyMs, costUsd: e.costUsd }
}

export function logAccess(e: LectrEvent): void {
  const f = accessFields(e)
  const text = `lectr: access id=${e.id} org=${e.org} provider=${e.provider} model=${JSON.stringify(e.model)} status=${e.status} latency_ms=${e.latencyMs} cost_usd=${e.costUsd ?? 'unpriced'}`
  emit('info', 'access', text, f)
}
