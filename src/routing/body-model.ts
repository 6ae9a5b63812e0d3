import { isJsonSpace } from '../usage/json-scan'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const te = new TextEncoder()
const td = new TextDecoder()

/**
 * The client's body bytes with the top-level `model` string replaced by `model`, every other byte as sent (a
 * re-serialised body would round integers above 2^53, reorder nothing but still change spacing and escapes). Every
 * top-level `"model"` member is replaced, so a body with the key twice means the same model to any parser. Null
 * when the body is not a JSON object with a string `model` at its top level.
 *
 * @example new TextDecoder().decode(withModel(te.encode('{"model":"gpt-4o","n":1}'), 'gpt-4o-mini')!) // '{"model":"gpt-4o-mini","n":1}'
 */
export function withModel(body: Uint8Array, model: string): Uint8Array | null {
  const spans = topLevelModelSpans(body)
  if (!spans.length) return null
  const value = te.encode(JSON.stringify(model))
  const out = new Uint8Array(body.length + spans.reduce((n, [a, b]) => n + value.length - (b - a), 0))
  let from = 0
  let at = 0
  for (const [start, end] of spans) {
    out.set(body.subarray(from, start), at)
    at += start - from
    out.set(value, at)
    at += value.length
    from = end
  }
  out.set(body.subarray(from), at)
  return out
}

/** [start, end) of each string value of a top-level `model` member, quotes included. */
function topLevelModelSpans(b: Uint8Array): [number, number][] {
  const spans: [number, number][] = []
  let i = skipSpace(b, 0)
  if (b[i] !== 0x7b) return spans
  let depth = 0
  /** at depth 1, whether the next string is a member name */
  let expectKey = false
  let lastKey: string | null = null
  for (; i < b.length; i++) {
    const c = b[i]!
    if (c === QUOTE) {
      const end = stringEnd(b, i)
      if (end < 0) return []
      if (depth === 1 && expectKey) {
        lastKey = keyText(b, i, end)
        expectKey = false
      } else if (depth === 1 && lastKey === 'model') {
        spans.push([i, end])
        lastKey = null
      }
      i = end - 1
    } else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth === 1) expectKey = true
      lastKey = depth === 2 ? null : lastKey
    } else if (c === 0x7d || c === 0x5d) {
      depth--
      if (depth === 0) return spans
    } else if (c === 0x2c && depth === 1) {
      expectKey = true
      lastKey = null
    } else if (depth === 1 && c !== 0x3a && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      // a number, true, false or null as the value: not a string model
      lastKey = null
    }
  }
  return []
}

/** Index just past the closing quote of the string that starts at `start`, or -1. */
function stringEnd(b: Uint8Array, start: number): number {
  for (let i = start + 1; i < b.length; i++) {
    if (b[i] === BACKSLASH) i++
    else if (b[i] === QUOTE) return i + 1
  }
  return -1
}

function keyText(b: Uint8Array, start: number, end: number): string {
  const raw = b.subarray(start, end)
  if (!raw.includes(BACKSLASH)) return td.decode(raw.subarray(1, raw.length - 1))
  try {
    return JSON.parse(td.decode(raw))
  } catch {
    return ''
  }
}

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isJsonSpace(b[i]!)) i++
  return i
}
