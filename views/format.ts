/**
 * Pure formatting for the dashboard: numbers like the hosted product shows them (1,204 · $142.00 · 1.38s).
 * Times are shown in UTC: the server renders them and does not know the viewer's time zone.
 */

import { PROVIDER_BY_NAME } from '../src/providers'

const DASH = '—'
const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const dollars = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** 1204 -> "1,204" */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH
  return counts.format(n)
}

/**
 * 142 -> "$142.00". A cost below a cent keeps four decimals ("$0.0042") so a single cheap request
 * does not read as free; below that it is "<$0.0001".
 */
export function formatUsd(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  if (abs === 0 || abs >= 0.01) return `${sign}$${dollars.format(abs)}`
  if (abs >= 0.0001) return `${sign}$${abs.toFixed(4)}`
  return `${sign}<$0.0001`
}

/**
 * Always in seconds, so a column of latencies reads in one unit: 1380 -> "1.38s", as the seed's latency column; under
 * 10 ms, where "0.00s" would say nothing, one more decimal: 3.2 -> "0.003s".
 */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH
  return `${(ms / 1000).toFixed(ms < 10 ? 3 : 2)}s`
}

/** 0.0243 -> "2.4%"; a fraction in 0..1. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return DASH
  const pct = fraction * 100
  if (pct > 0 && pct < 0.1) return '<0.1%'
  return `${pct.toFixed(pct === 0 || pct >= 10 ? 0 : 1)}%`
}

function parse(iso: string): Date | null {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? null : d
}

const pad = (n: number) => String(n).padStart(2, '0')

/** "2025-01-15T14:03:22.512Z" -> "2025-01-15 14:03:22" (UTC). An unreadable value comes back as is. */
export function formatDateTime(iso: string): string {
  const d = parse(iso)
  if (!d) return iso
  return `${formatDate(iso)} ${formatClockSeconds(iso)}`
}

/** "2025-01-15T14:03:22Z" -> "2025-01-15" (UTC). */
export function formatDate(iso: string): string {
  const d = parse(iso)
  if (!d) return iso
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "Jan 15" (UTC). */
export function formatDay(iso: string): string {
  const d = parse(iso)
  if (!d) return iso
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`
}

/** "14:00" (UTC). */
export function formatClock(iso: string): string {
  const d = parse(iso)
  if (!d) return iso
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

/** "14:03:22" (UTC). */
export function formatClockSeconds(iso: string): string {
  const d = parse(iso)
  if (!d) return iso
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** "Jan 15 14:00" (UTC): a chart bucket's start. */
export function formatDayClock(iso: string): string {
  return `${formatDay(iso)} ${formatClock(iso)}`
}

/** How long before `now` an instant was: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function formatRelative(iso: string, now: Date | string | number): string {
  const then = parse(iso)
  const nowMs = new Date(now).getTime()
  if (!then || Number.isNaN(nowMs)) return iso
  const seconds = Math.round((nowMs - then.getTime()) / 1000)
  if (seconds < 0) return 'in the future'
  if (seconds < 60) return 'just now'
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  const days = Math.floor(hours / 24)
  return days === 1 ? '1 day ago' : `${days} days ago`
}

/** "openai" -> "OpenAI" (each provider module's `label`); an unknown id is shown as it is (and escaped by the template). */
export function providerLabel(id: string): string {
  return PROVIDER_BY_NAME.get(id)?.label ?? id
}

/** "7d" -> "Last 7 days" */
export function rangeLabel(range: string): string {
  const labels: Record<string, string> = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days' }
  return labels[range] ?? range
}

/** Singular or plural noun after a count: plural(1, 'request') -> "1 request". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`
}
