import { formatClock, formatCount, formatDay, formatDayClock, formatUsd, plural } from '../format'
import { html, type SafeHtml } from '../html'
import type { UsageBucket } from '../types'

/**
 * Requests (bars, errors in red at their base) and cost (a line) over time, as an inline SVG drawn on the
 * server: no chart library, no script. Buckets are placed by index, so the server sends empty ones too.
 * Each bucket has a full-height hover target with a `<title>`, so even a 1px bar shows its numbers.
 */

const WIDTH = 960
const HEIGHT = 260
const PAD = { left: 56, right: 64, top: 14, bottom: 30 }
const PLOT_W = WIDTH - PAD.left - PAD.right
const PLOT_H = HEIGHT - PAD.top - PAD.bottom
const TICKS = 4
const X_LABELS = 6
/** A lone bucket should not become a slab across the whole plot. */
const MAX_BAR = 56

/** The smallest of 1, 2, 2.5, 5 × 10^k that is >= x, so axis ticks read as round numbers. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1
  const magnitude = 10 ** Math.floor(Math.log10(x))
  const f = x / magnitude
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10
  // Rounded to kill float noise like 0.30000000000000004.
  return Number((nice * magnitude).toPrecision(12))
}

/** Two decimals are plenty for SVG coordinates and keep the markup small. */
const n2 = (v: number) => Math.round(v * 100) / 100

/** Which bucket indices get an x-axis label: up to X_LABELS, evenly spread, first and last included. */
export function labelIndices(count: number): number[] {
  if (count <= 0) return []
  if (count <= X_LABELS) return Array.from({ length: count }, (_, i) => i)
  const picks = new Set<number>()
  for (let k = 0; k < X_LABELS; k++) picks.add(Math.round((k * (count - 1)) / (X_LABELS - 1)))
  return [...picks]
}

function spanHours(buckets: UsageBucket[]): number {
  if (buckets.length < 2) return 0
  const first = Date.parse(buckets[0]!.start)
  const last = Date.parse(buckets[buckets.length - 1]!.start)
  return Number.isNaN(first) || Number.isNaN(last) ? 0 : (last - first) / 3_600_000
}

function bucketTitle(b: UsageBucket): string {
  const parts = [formatDayClock(b.start), plural(b.requests, 'request')]
  if (b.errors > 0) parts.push(plural(b.errors, 'error'))
  parts.push(formatUsd(b.costUsd))
  return parts.join(' · ')
}

/** Grid lines with request counts on the left and cost on the right; an empty chart gets the lines only. */
function gridAndAxes(reqStep: number, costStep: number, labelled: boolean): SafeHtml {
  const rows: SafeHtml[] = []
  for (let t = 0; t <= TICKS; t++) {
    const y = n2(PAD.top + PLOT_H - (t / TICKS) * PLOT_H)
    rows.push(html`<line class="chart-grid${t === 0 ? ' chart-baseline' : ''}" x1="${PAD.left}" x2="${PAD.left + PLOT_W}" y1="${y}" y2="${y}"/>`)
    if (labelled) {
      rows.push(html`<text class="chart-label" x="${PAD.left - 8}" y="${y + 4}" text-anchor="end">${formatCount(reqStep * t)}</text>
<text class="chart-label chart-label-cost" x="${PAD.left + PLOT_W + 8}" y="${y + 4}">${formatUsd(costStep * t)}</text>`)
    }
  }
  return html`${rows}`
}

function xLabels(buckets: UsageBucket[], slot: number): SafeHtml {
  const byClock = spanHours(buckets) <= 36
  const last = buckets.length - 1
  return html`${labelIndices(buckets.length).map((i) => {
    const x = n2(PAD.left + slot * (i + 0.5))
    const anchor = buckets.length === 1 ? 'middle' : i === 0 ? 'start' : i === last ? 'end' : 'middle'
    const start = buckets[i]!.start
    const text = byClock ? (i === 0 ? formatDayClock(start) : formatClock(start)) : formatDay(start)
    const adjustedX = anchor === 'start' ? n2(x - slot / 2) : anchor === 'end' ? n2(x + slot / 2) : x
    return html`<text class="chart-label" x="${adjustedX}" y="${HEIGHT - 8}" text-anchor="${anchor}">${text}</text>`
  })}`
}

function bars(buckets: UsageBucket[], slot: number, reqTop: number): SafeHtml {
  // Dense charts (hundreds of buckets) draw bars edge to edge; sparse ones leave a gap between bars.
  const gap = slot >= 4 ? Math.min(slot * 0.25, 12) : 0
  const barWidth = Math.min(Math.max(slot - gap, 0.5), MAX_BAR)
  const width = n2(barWidth)
  const baseY = PAD.top + PLOT_H
  return html`${buckets.map((b, i) => {
    const x = n2(PAD.left + slot * i + (slot - barWidth) / 2)
    const h = b.requests > 0 ? Math.max((b.requests / reqTop) * PLOT_H, 1) : 0
    const eh = b.errors > 0 ? Math.max((Math.min(b.errors, b.requests) / reqTop) * PLOT_H, 1) : 0
    return html`<g class="chart-bucket"><title>${bucketTitle(b)}</title><rect class="chart-hit" x="${n2(PAD.left + slot * i)}" y="${PAD.top}" width="${n2(slot)}" height="${PLOT_H}"/>${h > 0 ? html`<rect class="chart-bar" x="${x}" y="${n2(baseY - h)}" width="${width}" height="${n2(h)}"/>` : ''}${eh > 0 ? html`<rect class="chart-bar-error" x="${x}" y="${n2(baseY - eh)}" width="${width}" height="${n2(eh)}"/>` : ''}</g>`
  })}`
}

function costLine(buckets: UsageBucket[], slot: number, costTop: number): SafeHtml {
  const points = buckets.map((b, i) => ({
    x: n2(PAD.left + slot * (i + 0.5)),
    y: n2(PAD.top + PLOT_H - (Math.max(b.costUsd, 0) / costTop) * PLOT_H),
  }))
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x} ${p.y}`).join(' ')
  // Markers help read a short series; on a long one they would merge into a thick smear.
  const markers = buckets.length <= 48 ? points.map((p) => html`<circle class="chart-dot" cx="${p.x}" cy="${p.y}" r="3"/>`) : []
  const lineClass = buckets.length > 100 ? 'chart-line chart-line-dense' : 'chart-line'
  return html`${buckets.length > 1 ? html`<path class="${lineClass}" d="${path}"/>` : ''}${markers}`
}

/** The chart and its legend. */
export function usageChart(buckets: UsageBucket[]): SafeHtml {
  const empty = buckets.every((b) => b.requests === 0)
  const maxRequests = Math.max(0, ...buckets.map((b) => b.requests))
  const maxCost = Math.max(0, ...buckets.map((b) => b.costUsd))
  // Requests are whole numbers, so never a fractional tick.
  const reqStep = Math.max(1, niceCeil(maxRequests / TICKS))
  const costStep = maxCost > 0 ? niceCeil(maxCost / TICKS) : 0.25
  const slot = buckets.length > 0 ? PLOT_W / buckets.length : PLOT_W

  return html`<figure class="chart">
<svg class="chart-svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Requests and cost over time" xmlns="http://www.w3.org/2000/svg">
${gridAndAxes(reqStep, costStep, !empty)}
${empty ? '' : bars(buckets, slot, reqStep * TICKS)}
${empty ? '' : costLine(buckets, slot, costStep * TICKS)}
${buckets.length > 0 ? xLabels(buckets, slot) : ''}
${empty ? html`<text class="chart-empty" x="${PAD.left + PLOT_W / 2}" y="${PAD.top + PLOT_H / 2}" text-anchor="middle">No requests in this range</text>` : ''}
</svg>
<figcaption class="chart-legend">
  <span class="legend-item"><span class="swatch swatch-bar" aria-hidden="true"></span>Requests</span>
  <span class="legend-item"><span class="swatch swatch-error" aria-hidden="true"></span>Errors</span>
  <span class="legend-item"><span class="swatch swatch-line" aria-hidden="true"></span>Cost (right axis)</span>
  <span class="legend-note">Times in UTC</span>
</figcaption>
</figure>`
}
