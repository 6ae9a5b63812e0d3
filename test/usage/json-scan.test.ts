import { describe, expect, test } from 'bun:test'
import { firstStringValue, generatedChars, lastObjectText, mayHaveValue } from '../../src/usage/json-scan'

describe('mayHaveValue', () => {
  const cases: Array<[string, string, string, boolean, boolean]> = [
    ['null value', '{"usage":null}', '"usage"', false, false],
    ['null value with spaces', '{"usage" :  null}', '"usage"', false, false],
    ['object value', '{"usage":{"prompt_tokens":1}}', '"usage"', false, true],
    ['object value with spaces', '{"usage": {"prompt_tokens": 1}}', '"usage"', false, true],
    ['absent', '{"choices":[]}', '"usage"', false, false],
    ['one null, one not', '{"usage":null,"x_groq":{"usage":{"prompt_tokens":1}}}', '"usage"', false, true],
    ['inside generated text it is escaped, so not found', '{"content":"the \\"usage\\" key"}', '"usage"', false, false],
    ['a string value rather than a key', '{"type":"error","code":"x"}', '"error"', false, true],
    ['empty model is absent when asked', '{"model":""}', '"model"', true, false],
    ['empty model is a value otherwise', '{"model":""}', '"model"', false, true],
    ['model named', '{"model":"","x":{"model":"gpt-4o"}}', '"model"', true, true],
    ['key at the very end of the text', '{"usage"', '"usage"', false, true],
  ]
  for (const [name, text, key, emptyIsAbsent, expected] of cases) {
    test(name, () => expect(mayHaveValue(text, key, emptyIsAbsent)).toBe(expected))
  }
})

describe('generatedChars', () => {
  const CHAT = ['content', 'refusal', 'reasoning', 'reasoning_content', 'arguments']
  const cases: Array<[string, string, string, string[], number]> = [
    ['chat delta content', '{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}', '"delta"', CHAT, 5],
    ['escapes count as one character', '{"delta":{"content":"a\\"b\\nc\\u00e9"}}', '"delta"', CHAT, 6],
    ['non-ASCII counts by UTF-16 unit', '{"delta":{"content":"é👋"}}', '"delta"', CHAT, 3],
    ['role, ids and types are not generated text', '{"delta":{"role":"assistant","content":""}}', '"delta"', CHAT, 0],
    [
      'tool call arguments (name and id not counted)',
      '{"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":"}}]}}',
      '"delta"',
      CHAT,
      8,
    ],
    ['reasoning text', '{"delta":{"reasoning_content":"think"}}', '"delta"', CHAT, 5],
    ['several choices', '{"choices":[{"delta":{"content":"ab"}},{"delta":{"content":"cde"}}]}', '"delta"', CHAT, 5],
    ['content: null', '{"delta":{"content":null,"refusal":null}}', '"delta"', CHAT, 0],
    ['spaces around colons', '{"delta": {"content": "abc"}}', '"delta"', CHAT, 3],
    ['responses string delta', '{"type":"response.output_text.delta","delta":"Hello"}', '"delta"', [], 5],
    ['legacy completions text', '{"choices":[{"text":" upon","index":0}]}', '"text"', [], 5],
    ['cut in the middle of the text', '{"delta":{"content":"abcd', '"delta"', CHAT, 4],
    ['no container', '{"choices":[]}', '"delta"', CHAT, 0],
    ['container key in text is escaped, so not found', '{"x":"\\"delta\\":\\"no\\""}', '"delta"', [], 0],
  ]
  for (const [name, text, container, keys, expected] of cases) {
    test(name, () => expect(generatedChars(text, container, keys)).toBe(expected))
  }
})

describe('lastObjectText and firstStringValue', () => {
  test('the last usage object, nested objects and braces in strings included', () => {
    const text = '{"data":[{"usage":{"a":1}}],"model":"m","usage":{"prompt_tokens":8,"x":{"s":"}{"}}}'
    expect(lastObjectText(text, '"usage"')).toBe('{"prompt_tokens":8,"x":{"s":"}{"}}')
  })

  test('skips an unterminated last object for an earlier complete one', () => {
    expect(lastObjectText('{"usage":{"a":1},"usage":{"b":', '"usage"')).toBe('{"a":1}')
  })

  test('no object', () => {
    expect(lastObjectText('{"usage":null}', '"usage"')).toBeNull()
    expect(lastObjectText('', '"usage"')).toBeNull()
  })

  test('first non-empty string value, unescaped', () => {
    expect(firstStringValue('{"model":"","x":{"model":"gpt-\\u0034o"}}', '"model"')).toBe('gpt-4o')
    expect(firstStringValue('{"model":null}', '"model"')).toBeNull()
    expect(firstStringValue('{"model":"cut', '"model"')).toBeNull()
  })
})
