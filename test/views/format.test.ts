import { describe, expect, test } from 'bun:test'
import {
  formatClock,
  formatClockSeconds,
  formatCount,
  formatDate,
  formatDateTime,
  formatDay,
  formatDayClock,
  formatLatency,
  formatPercent,
  formatRelative,
  formatUsd,
  plural,
  providerLabel,
  rangeLabel,
} from '../../views/format'
import { formatPerMillion } from '../../views/pages/registry'

describe('numbers, as the seed dashboard shows them', () => {
  test.each([
    [1204, '1,204'],
    [856, '856'],
    [0, '0'],
    [1234567, '1,234,567'],
    [null, '—'],
    [Number.NaN, '—'],
  ])('formatCount(%p) = %p', (n, out) => expect(formatCount(n)).toBe(out))

  test.each([
    [142, '$142.00'],
    [89, '$89.00'],
    [2.1, '$2.10'],
    [0, '$0.00'],
    [1234.5, '$1,234.50'],
    [0.01, '$0.01'],
    [0.0042, '$0.0042'],
    [0.00021, '$0.0002'],
    [0.00001, '<$0.0001'],
    [-3.5, '-$3.50'],
    [null, '—'],
  ])('formatUsd(%p) = %p', (n, out) => expect(formatUsd(n)).toBe(out))

  test.each([
    [1380, '1.38s'],
    [1120, '1.12s'],
    [940, '0.94s'],
    [780, '0.78s'],
    [0, '0.000s'],
    [3.24, '0.003s'],
    [10, '0.01s'],
    [61234, '61.23s'],
    [null, '—'],
  ])('formatLatency(%p) = %p', (ms, out) => expect(formatLatency(ms)).toBe(out))

  test.each([
    [0, '0%'],
    [0.0243, '2.4%'],
    [0.0004, '<0.1%'],
    [0.125, '13%'],
    [1, '100%'],
    [null, '—'],
  ])('formatPercent(%p) = %p', (f, out) => expect(formatPercent(f)).toBe(out))

  test('registry prices per 1M tokens keep the decimals a cheap model needs', () => {
    expect(formatPerMillion(2.5)).toBe('$2.50')
    expect(formatPerMillion(0.075)).toBe('$0.075')
    expect(formatPerMillion(15)).toBe('$15.00')
    expect(formatPerMillion(undefined)).toBe('—')
  })

  test('plural', () => {
    expect(plural(1, 'request')).toBe('1 request')
    expect(plural(1204, 'request')).toBe('1,204 requests')
  })
})

describe('times, in UTC', () => {
  const iso = '2025-01-05T04:03:02.512Z'
  test('absolute', () => {
    expect(formatDateTime(iso)).toBe('2025-01-05 04:03:02')
    expect(formatDate(iso)).toBe('2025-01-05')
    expect(formatDay(iso)).toBe('Jan 5')
    expect(formatClock(iso)).toBe('04:03')
    expect(formatClockSeconds(iso)).toBe('04:03:02')
    expect(formatDayClock(iso)).toBe('Jan 5 04:03')
  })

  test('an unreadable time comes back unchanged instead of "Invalid Date"', () => {
    expect(formatDateTime('not a time')).toBe('not a time')
    expect(formatDay('')).toBe('')
  })

  test.each([
    ['2025-01-05T04:03:30Z', 'just now'],
    ['2025-01-05T04:08:02Z', '5 min ago'],
    ['2025-01-05T07:03:02Z', '3 h ago'],
    ['2025-01-06T05:00:00Z', '1 day ago'],
    ['2025-01-09T04:03:02Z', '4 days ago'],
    ['2025-01-05T04:00:00Z', 'in the future'],
  ])('formatRelative(then, %p) = %p', (now, out) => expect(formatRelative('2025-01-05T04:03:02Z', now)).toBe(out))
})

describe('labels', () => {
  test('providers read like the seed; unknown ids pass through', () => {
    expect(['openai', 'anthropic', 'groq', 'gemini', 'azure'].map(providerLabel)).toEqual([
      'OpenAI',
      'Anthropic',
      'Groq',
      'Google Gemini',
      'Azure OpenAI',
    ])
    expect(providerLabel('mistral')).toBe('mistral')
  })

  test('ranges', () => {
    expect(rangeLabel('24h')).toBe('Last 24 hours')
    expect(rangeLabel('30d')).toBe('Last 30 days')
  })
})
