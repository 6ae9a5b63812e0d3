/**
 * Cheap looks into JSON text without parsing it, so that hot paths parse only what can matter.
 *
 * They rely on one property of JSON: a `"` inside a string is always escaped, so a quoted key such as
 * `"usage"` found in the text is a real key (or a string value), never a piece of a model's output.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COLON = 0x3a
const LETTER_U = 0x75

export function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

/** Index of the value after a key that ends at `afterKey` (past whitespace, `:` and whitespace), or -1 when no colon follows. */
function valueIndex(text: string, afterKey: number): number {
  let i = afterKey
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++
  if (text.charCodeAt(i) !== COLON) return -1
  i++
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++
  return i
}

/**
 * Whether `quotedKey` may carry a value worth parsing for: true unless every occurrence is a key whose value is
 * `null` (or `""` when `emptyStringIsAbsent`). An occurrence that is not a key (`"type":"error"`) counts as a yes.
 *
 * @example mayHaveValue('{"usage":null}', '"usage"')          // false
 * @example mayHaveValue('{"usage":{"prompt_tokens":1}}', '"usage"') // true
 * @example mayHaveValue('{"model":""}', '"model"', true)       // false
 */
export function mayHaveValue(text: string, quotedKey: string, emptyStringIsAbsent = false): boolean {
  for (let at = text.indexOf(quotedKey); at !== -1; at = text.indexOf(quotedKey, at + quotedKey.length)) {
    const value = valueIndex(text, at + quotedKey.length)
    if (value === -1) return true
    if (text.startsWith('null', value)) continue
    if (emptyStringIsAbsent && text.startsWith('""', value)) continue
    return true
  }
  return false
}

/** Index of the closing quote of the JSON string whose opening quote is at `open` (the text's end when cut). */
function stringEnd(text: string, open: number): number {
  let i = open + 1
  while (i < text.length) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) return i
    i += code === BACKSLASH ? 2 : 1
  }
  return text.length
}

/** Decoded length of the JSON string between `open` and `end` (an escape counts as one character). */
function decodedLength(text: string, open: number, end: number): number {
  let length = 0
  for (let i = open + 1; i < end; i++) {
    if (text.charCodeAt(i) === BACKSLASH) i += text.charCodeAt(i + 1) === LETTER_U ? 5 : 1
    length++
  }
  return length
}

/** Whether the characters between `from` and `to` spell one of `keys` (unquoted). */
function isOneOf(text: string, from: number, to: number, keys: readonly string[]): boolean {
  for (const key of keys) if (key.length === to - from && text.startsWith(key, from)) return true
  return false
}

/** Decoded characters of the strings, in the object or array at `open`, that are values of one of `keys`. */
function keyedStringChars(text: string, open: number, keys: readonly string[]): number {
  let total = 0
  let depth = 0
  let counting = false
  for (let i = open; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) {
      const end = stringEnd(text, i)
      const value = valueIndex(text, end + 1)
      if (value !== -1) {
        counting = isOneOf(text, i + 1, end, keys)
        i = value - 1
      } else {
        if (counting) total += decodedLength(text, i, end)
        i = end
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++
    } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) {
      break
    }
  }
  return total
}

/**
 * Decoded characters of generated text: for every occurrence of `containerKey`, its value when it is a string,
 * or the string values of `valueKeys` inside it when it is an object. Text cut off at the end counts as far as
 * it goes. Used to estimate the output of a stream that was cut before its usage arrived.
 *
 * @example generatedChars('{"choices":[{"delta":{"role":"assistant","content":"Hi\\n"}}]}', '"delta"', ['content']) // 3
 * @example generatedChars('{"type":"response.output_text.delta","delta":"Hello"}', '"delta"', []) // 5
 */
export function generatedChars(text: string, containerKey: string, valueKeys: readonly string[]): number {
  let total = 0
  for (let at = text.indexOf(containerKey); at !== -1; at = text.indexOf(containerKey, at + containerKey.length)) {
    const value = valueIndex(text, at + containerKey.length)
    if (value === -1) continue
    const code = text.charCodeAt(value)
    if (code === QUOTE) total += decodedLength(text, value, stringEnd(text, value))
    else if (code === OPEN_BRACE) total += keyedStringChars(text, value, valueKeys)
  }
  return total
}

/** Index just past the JSON object whose `{` is at `open`, or -1 when the text ends first. */
function objectEnd(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) i = stringEnd(text, i)
    else if (code === OPEN_BRACE) depth++
    else if (code === CLOSE_BRACE && --depth === 0) return i + 1
  }
  return -1
}

/**
 * The text of the object value of the last occurrence of `quotedKey`, or null. For bodies too large to parse
 * whole: the top-level `usage` comes last in OpenAI-shaped answers.
 *
 * @example lastObjectText('{"data":[],"usage":{"prompt_tokens":8}}', '"usage"') // '{"prompt_tokens":8}'
 */
export function lastObjectText(text: string, quotedKey: string): string | null {
  for (let at = text.lastIndexOf(quotedKey); at !== -1; at = at === 0 ? -1 : text.lastIndexOf(quotedKey, at - 1)) {
    const value = valueIndex(text, at + quotedKey.length)
    if (value === -1 || text.charCodeAt(value) !== OPEN_BRACE) continue
    const end = objectEnd(text, value)
    if (end !== -1) return text.slice(value, end)
  }
  return null
}

/**
 * The first non-empty string value of `quotedKey`, unescaped, or null.
 * @example firstStringValue('{"model":"","x":{"model":"gpt-4o"}}', '"model"') // 'gpt-4o'
 */
export function firstStringValue(text: string, quotedKey: string): string | null {
  for (let at = text.indexOf(quotedKey); at !== -1; at = text.indexOf(quotedKey, at + quotedKey.length)) {
    const value = valueIndex(text, at + quotedKey.length)
    if (value === -1 || text.charCodeAt(value) !== QUOTE) continue
    const end = stringEnd(text, value)
    if (end === text.length) continue
    try {
      const parsed: unknown = JSON.parse(text.slice(value, end + 1))
      if (typeof parsed === 'string' && parsed !== '') return parsed
    } catch {
      // a malformed escape: look further
    }
  }
  return null
}
