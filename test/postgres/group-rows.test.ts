import { describe, expect, test } from 'bun:test'
import { byteOrder, exactSum, groupRows } from '../../src/storage/postgres/group-rows'
import { emptySums } from '../../src/storage/rollups'

/** The exact sum as a rational with a power-of-two denominator, rounded to a double by the platform's parser. */
function reference(values: number[]): number {
  // every double is m * 2^e with integer m; scale all by 2^1100 to make them integers
  const scaled = values.map((v) => {
    const buf = new DataView(new ArrayBuffer(8))
    buf.setFloat64(0, v)
    const bits = buf.getBigUint64(0)
    const sign = bits >> 63n ? -1n : 1n
    const exp = Number((bits >> 52n) & 0x7ffn)
    const frac = bits & ((1n << 52n) - 1n)
    const m = exp === 0 ? frac : frac | (1n << 52n)
    const e = (exp === 0 ? 1 : exp) - 1075
    return sign * (m << BigInt(e + 1100))
  })
  const total = scaled.reduce((a, b) => a + b, 0n)
  if (total === 0n) return 0
  // round total / 2^1100 to nearest double, ties to even
  const neg = total < 0n
  let t = neg ? -total : total
  let shift = t.toString(2).length - 53
  let e = shift - 1100
  if (e < -1074) shift += -1074 - e
  let m: bigint
  if (shift > 0) {
    const rest = t & ((1n << BigInt(shift)) - 1n)
    m = t >> BigInt(shift)
    const half = 1n << BigInt(shift - 1)
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n
  } else {
    m = t << BigInt(-shift)
  }
  const r = Number(m) * 2 ** (shift - 1100)
  return neg ? -r : r
}

let seed = 7
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31)

describe('group-rows (Postgres roll-up groups summed in JavaScript)', () => {
  test('exactSum is the exact sum rounded once, where adding in order is not', () => {
    let naiveDiffers = 0
    for (let k = 0; k < 300; k++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 60) }, () => (random() - 0.2) * 10 ** Math.floor(random() * 18 - 12))
      expect(exactSum(values)).toBe(reference(values))
      if (values.reduce((a, b) => a + b, 0) !== reference(values)) naiveDiffers++
    }
    expect(naiveDiffers).toBeGreaterThan(50)
    expect(exactSum([1e16, 1, -1e16])).toBe(1)
    expect(exactSum([0.1, 0.2, 0.3])).toBe(0.6)
    expect(exactSum([2 ** 53, 1, 2 ** -60])).toBe(2 ** 53 + 2)
    expect(exactSum([])).toBe(0)
  })

  test('byteOrder is the order of the UTF-8 bytes (SQLite BINARY, Postgres "C")', () => {
    const words = ['', 'a', 'B', 'b', 'ab', 'é', 'élan', 'Zeta', 'zeta', '\uffff', '\ue000x', '😀', '😀a', '\ud7ff', 'x'.repeat(3)]
    const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
    for (const a of words) for (const b of words) expect(Math.sign(byteOrder(a, b))).toBe(bytes(a, b))
  })

  test('groupRows sums equal groups and hands them back in byte order of their columns', () => {
    const row = (provider: string, model: string, costUsd: number, requests = 1) => ({ provider, model, task: '', feature: '', ...emptySums(), requests, costUsd })
    const out = groupRows([row('openai', 'b', 0.1), row('openai', 'B', 0.2), row('anthropic', 'z', 0.3), row('openai', 'b', 0.2, 2), row('openai', 'b', 0.3)])
    expect(out.map((g) => [g.provider, g.model, g.requests, g.costUsd])).toEqual([['anthropic', 'z', 1, 0.3], ['openai', 'B', 1, 0.2], ['openai', 'b', 4, 0.6]])
    expect(Object.keys(out[0]!)).toEqual(['provider', 'model', 'task', 'feature', ...Object.keys(emptySums())])
  })
})
