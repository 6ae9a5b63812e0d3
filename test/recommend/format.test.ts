import { expect, test } from 'bun:test'
import { count, percentLess } from '../../src/recommend/format'

test('counts are whole and grouped by thousands', () => {
  expect(count(1240)).toBe('1,240')
  expect(count(309.6)).toBe('310')
  expect(count(0)).toBe('0')
})

test.each([
  [1, 0.06, '94%'],
  [0.325, 0.0195, '94%'],
  [1.44, 0.0084, '99%'], // 99.4%: never rounded up to "100% less"
  [1, 0.996, '<1%'],
  [7.5, 1.5, '80%'],
  [0, 0, '0%'],
])('%p -> %p is %p less', (current, projected, expected) => {
  expect(percentLess(current, projected)).toBe(expected)
})
