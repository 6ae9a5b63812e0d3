import { describe, expect, test } from 'bun:test'
import {
  hasFinalTotals,
  isUsageOnlyChunk,
  readErrorCode,
  readModel,
  readUsage,
  readUsageFields,
  usageForEndpoint,
} from '../../src/usage/read'
import type { Usage } from '../../src/usage/types'

const usage = (inputTokens: number, cachedInputTokens: number, outputTokens: number, reasoningTokens: number): Usage => ({
  inputTokens,
  cachedInputTokens,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens,
  reasoningTokens,
})

describe('readUsage', () => {
  const cases: Array<[string, unknown, Usage | null]> = [
    [
      'chat with cached and reasoning tokens',
      {
        usage: {
          prompt_tokens: 1200,
          completion_tokens: 250,
          total_tokens: 1450,
          prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 192 },
        },
      },
      usage(1200, 1024, 250, 192),
    ],
    ['chat, anthropic compat with empty details', { usage: { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34, prompt_tokens_details: {}, completion_tokens_details: {} } }, usage(25, 0, 9, 0)],
    ['embeddings: no completion_tokens', { usage: { prompt_tokens: 8, total_tokens: 8 } }, usage(8, 0, 0, 0)],
    [
      'responses API',
      { usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 12 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 123 } },
      usage(36, 12, 87, 64),
    ],
    ['responses stream event', { type: 'response.completed', response: { usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 } } }, usage(5, 0, 7, 0)],
    ['groq x_groq.usage', { x_groq: { id: 'req_1', usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52, queue_time: 0.02 } } }, usage(40, 0, 12, 0)],
    ['top-level usage wins over x_groq', { usage: { prompt_tokens: 1, completion_tokens: 2 }, x_groq: { usage: { prompt_tokens: 9, completion_tokens: 9 } } }, usage(1, 0, 2, 0)],
    ['null usage falls through to x_groq', { usage: null, x_groq: { usage: { prompt_tokens: 9, completion_tokens: 1 } } }, usage(9, 0, 1, 0)],
    ['gemini thinking: total beyond prompt + completion is hidden reasoning', { usage: { prompt_tokens: 12, completion_tokens: 41, total_tokens: 153 } }, usage(12, 0, 141, 100)],
    [
      'gemini thinking reported in details and outside completion: counted once',
      { usage: { prompt_tokens: 12, completion_tokens: 41, total_tokens: 153, completion_tokens_details: { reasoning_tokens: 100 } } },
      usage(12, 0, 141, 100),
    ],
    ['cached beyond input is clamped', { usage: { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 50 } } }, usage(10, 10, 1, 0)],
    ['fractional counts are rounded', { usage: { prompt_tokens: 10.4, completion_tokens: 1.6 } }, usage(10, 0, 2, 0)],
    ['garbage counts are ignored', { usage: { prompt_tokens: -5, completion_tokens: 'x', input_tokens: NaN } }, null],
    ['strings are not counts', { usage: { prompt_tokens: '10', completion_tokens: '2' } }, null],
    ['garbage details', { usage: { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: 'x', completion_tokens_details: [1] } }, usage(10, 0, 2, 0)],
    ['only total_tokens', { usage: { total_tokens: 10 } }, null],
    ['usage: null', { usage: null }, null],
    ['usage is an array', { usage: [1, 2] }, null],
    ['no usage', { id: 'x' }, null],
    ['null', null, null],
    ['a number', 42, null],
    ['a string', 'usage', null],
    ['an array', [{ usage: { prompt_tokens: 1 } }], null],
    ['undefined', undefined, null],
  ]
  for (const [name, body, expected] of cases) {
    test(name, () => expect(readUsage(body)).toEqual(expected))
  }

  test('readUsageFields reads a bare usage object', () => {
    expect(readUsageFields({ input_tokens: 3, output_tokens: 4 })).toEqual(usage(3, 0, 4, 0))
  })

  test('embeddings never have output, whatever total_tokens says', () => {
    expect(usageForEndpoint(readUsage({ usage: { prompt_tokens: 8, total_tokens: 10 } })!, 'embeddings')).toEqual(usage(8, 0, 0, 0))
    expect(usageForEndpoint(usage(1, 0, 2, 1), 'chat/completions')).toEqual(usage(1, 0, 2, 1))
  })
})

describe('readModel', () => {
  const cases: Array<[string, unknown, string | null]> = [
    ['chat', { model: 'gpt-4o-2024-08-06' }, 'gpt-4o-2024-08-06'],
    ['azure first chunk: empty model', { model: '', choices: [] }, null],
    ['responses stream event', { type: 'response.created', response: { model: 'gpt-4.1-2025-04-14' } }, 'gpt-4.1-2025-04-14'],
    ['not a string', { model: 42 }, null],
    ['garbage', 'gpt-4o', null],
    ['null', null, null],
    ['absurdly long is cut', { model: 'm'.repeat(1000) }, 'm'.repeat(200)],
  ]
  for (const [name, body, expected] of cases) test(name, () => expect(readModel(body)).toBe(expected))
})

describe('readErrorCode', () => {
  const cases: Array<[string, unknown, string | null]> = [
    ['openai', { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }, 'invalid_api_key'],
    ['openai without code: type', { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } }, 'server_error'],
    ['google: status beats the numeric code', { error: { code: 400, message: 'API key not valid.', status: 'INVALID_ARGUMENT' } }, 'INVALID_ARGUMENT'],
    ['google wrapped in an array', [{ error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } }], 'RESOURCE_EXHAUSTED'],
    ['only a numeric code', { error: { code: 503, message: 'Unavailable' } }, '503'],
    ['azure content filter', { error: { message: 'filtered', type: null, param: 'prompt', code: 'content_filter', status: 400, innererror: { code: 'ResponsibleAIPolicyViolation' } } }, 'content_filter'],
    ['anthropic native', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'overloaded_error'],
    ['responses error event', { type: 'error', code: 'rate_limit_exceeded', message: 'Slow down', param: null, sequence_number: 2 }, 'rate_limit_exceeded'],
    ['responses error event without code', { type: 'error', code: null, message: 'Oops' }, 'error'],
    ['responses failed event', { type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: 'x' } } }, 'server_error'],
    ['a code-like string error', { error: 'model_not_found' }, 'model_not_found'],
    ['a free-text string error', { error: 'Something went wrong, sorry!' }, 'error'],
    ['an error object with nothing in it', { error: {} }, 'error'],
    ['empty string or false: no error', { error: '', response: { error: false } }, null],
    ['success with error: null', { id: 'resp_1', status: 'completed', error: null, response: null }, null],
    ['responses created event', { type: 'response.created', response: { error: null } }, null],
    ['success', { choices: [] }, null],
    ['array without an error', [{ candidates: [] }], null],
    ['null', null, null],
    ['a number', 3, null],
  ]
  for (const [name, body, expected] of cases) test(name, () => expect(readErrorCode(body)).toBe(expected))
})

describe('stream chunk shapes', () => {
  test('usage-only chunk: empty choices and a usage', () => {
    expect(isUsageOnlyChunk({ choices: [], usage: { prompt_tokens: 1 } })).toBe(true)
    expect(isUsageOnlyChunk({ choices: [], id: '', model: '', prompt_filter_results: [] })).toBe(false) // azure's first chunk
    expect(isUsageOnlyChunk({ choices: [{ delta: {} }], usage: { prompt_tokens: 1 } })).toBe(false) // gemini
    expect(isUsageOnlyChunk({ choices: [], usage: null })).toBe(false)
    expect(isUsageOnlyChunk(null)).toBe(false)
  })

  test('final totals vs running totals', () => {
    expect(hasFinalTotals({ choices: [{ delta: { content: 'a' }, index: 0 }], usage: {} })).toBe(false)
    expect(hasFinalTotals({ choices: [{ delta: {}, finish_reason: null }], usage: {} })).toBe(false)
    expect(hasFinalTotals({ choices: [{ delta: {}, finish_reason: 'stop' }], usage: {} })).toBe(true)
    expect(hasFinalTotals({ choices: [], usage: {} })).toBe(true)
    expect(hasFinalTotals({ usage: {} })).toBe(true)
    expect(hasFinalTotals({ choices: [{ delta: {} }], x_groq: { usage: {} } })).toBe(true)
    expect(hasFinalTotals({ type: 'response.completed', response: { usage: {} } })).toBe(true)
    expect(hasFinalTotals('x')).toBe(false)
  })
})
