import { describe, expect, test } from 'bun:test'
import { labelIndices, niceCeil, usageChart } from '../../views/partials/chart'
import { buckets } from './fixtures'

const count = (s: string, needle: RegExp) => (s.match(needle) ?? []).length

describe('usage chart', () => {
  test('no buckets: the grid and an empty message, no bars, no line, no NaN', () => {
    const svg = usageChart([]).toString()
    expect(svg).toContain('No requests in this range')
    expect(count(svg, /class="chart-bar"/g)).toBe(0)
    expect(svg).not.toContain('chart-line')
    expect(svg).not.toContain('NaN')
    expect(svg).not.toContain('Infinity')
  })

  test('buckets that are all empty read as empty too', () => {
    const svg = usageChart(buckets(24).map((b) => ({ ...b, requests: 0, costUsd: 0, errors: 0 }))).toString()
    expect(svg).toContain('No requests in this range')
    expect(count(svg, /class="chart-bar"/g)).toBe(0)
  })

  test('one bucket: one capped bar, a cost dot instead of a line, one label', () => {
    const one = [{ start: '2025-03-14T11:00:00.000Z', requests: 124, costUsd: 5.58, errors: 5 }]
    const svg = usageChart(one).toString()
    expect(count(svg, /class="chart-bar"/g)).toBe(1)
    expect(count(svg, /class="chart-bar-error"/g)).toBe(1)
    expect(count(svg, /class="chart-dot"/g)).toBe(1)
    expect(svg).not.toContain('<path')
    expect(svg).toContain('<title>Mar 14 11:00 · 124 requests · 5 errors · $5.58</title>')
    const width = Number(svg.match(/class="chart-bar" x="[^"]+" y="[^"]+" width="([^"]+)"/)![1])
    expect(width).toBeLessThanOrEqual(56)
    expect(svg).not.toContain('NaN')
  })

  test('720 buckets: one titled hover target each, a line, no markers, six x labels', () => {
    const many = buckets(720)
    const svg = usageChart(many).toString()
    expect(count(svg, /<title>/g)).toBe(720)
    expect(count(svg, /class="chart-hit"/g)).toBe(720)
    expect(count(svg, /class="chart-line chart-line-dense"/g)).toBe(1)
    expect(count(svg, /class="chart-dot"/g)).toBe(0)
    expect(count(svg, /<text class="chart-label" x="[^"]+" y="252"/g)).toBe(6)
    expect(svg).not.toContain('NaN')
    // Big but bounded: roughly 250 bytes a bucket.
    expect(svg.length).toBeLessThan(300_000)
  })

  test('every bar fits inside the plot', () => {
    const svg = usageChart(buckets(168)).toString()
    for (const m of svg.matchAll(/class="chart-bar" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"/g)) {
      const [x, y, w, h] = m.slice(1).map(Number) as [number, number, number, number]
      expect(x).toBeGreaterThanOrEqual(56)
      expect(x + w).toBeLessThanOrEqual(960 - 64 + 0.01)
      expect(y).toBeGreaterThanOrEqual(14 - 0.01)
      expect(y + h).toBeCloseTo(14 + 216, 1)
    }
  })

  test('axis steps are round numbers', () => {
    expect([0, 0.3, 1, 1.2, 2.2, 3, 7, 46, 185 / 4, 0.0042].map(niceCeil)).toEqual([1, 0.5, 1, 2, 2.5, 5, 10, 50, 50, 0.005])
  })

  test('x labels: evenly spread, first and last included', () => {
    expect(labelIndices(0)).toEqual([])
    expect(labelIndices(1)).toEqual([0])
    expect(labelIndices(4)).toEqual([0, 1, 2, 3])
    expect(labelIndices(720)).toEqual([0, 144, 288, 431, 575, 719])
  })
})
