import { formatValue, header, sample } from './prom-text'

/** A counter or gauge: one value per label set, keyed by the label set's text (`labelString`). */
export class Series {
  readonly values = new Map<string, number>()

  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge',
    readonly help: string,
  ) {}

  add(labels: string, by = 1): void {
    this.values.set(labels, (this.values.get(labels) ?? 0) + by)
  }

  set(labels: string, value: number): void {
    this.values.set(labels, value)
  }

  render(out: string[]): void {
    out.push(header(this.name, this.type, this.help))
    for (const [labels, v] of this.values) out.push(sample(this.name, labels, v))
  }
}

/** Buckets' upper bounds, ascending; +Inf is implied. */
export type Buckets = readonly number[]

interface HistogramSeries {
  counts: Float64Array
  sum: number
  count: number
}

/** A histogram: per label set, cumulative-on-render bucket counts, a sum and a count. */
export class Histogram {
  private readonly series = new Map<string, HistogramSeries>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: Buckets,
  ) {}

  observe(labels: string, value: number): void {
    let s = this.series.get(labels)
    if (!s) this.series.set(labels, (s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 }))
    // The first bucket that holds it; counts are made cumulative when rendered.
    let i = 0
    while (i < this.buckets.length && value > this.buckets[i]!) i++
    if (i < this.buckets.length) s.counts[i]!++
    s.sum += value
    s.count++
  }

  render(out: string[]): void {
    out.push(header(this.name, 'histogram', this.help))
    for (const [labels, s] of this.series) {
      const sep = labels ? ',' : ''
      let cumulative = 0
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!
        out.push(`${this.name}_bucket{${labels}${sep}le="${formatValue(this.buckets[i]!)}"} ${cumulative}`)
      }
      out.push(`${this.name}_bucket{${labels}${sep}le="+Inf"} ${s.count}`)
      out.push(sample(`${this.name}_sum`, labels, s.sum))
      out.push(sample(`${this.name}_count`, labels, s.count))
    }
  }
}
