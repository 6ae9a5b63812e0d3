import { describe, expect, test } from 'bun:test'
import { createJsonMeter, meterJsonBody, type JsonMeterLimits } from '../../src/usage/json-meter'
import type { Endpoint, MeterResult, Usage } from '../../src/usage/types'

const encoder = new TextEncoder()

const usage = (inputTokens: number, cachedInputTokens: number, outputTokens: number, reasoningTokens: number): Usage => ({
  inputTokens,
  cachedInputTokens,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens,
  reasoningTokens,
})

function meterBody(endpoint: Endpoint, body: string, chunkSize = Infinity, limits?: JsonMeterLimits, complete = true): MeterResult {
  const meter = createJsonMeter(endpoint, limits)
  const bytes = encoder.encode(body)
  for (let at = 0; at < bytes.length; at += Math.min(chunkSize, bytes.length)) {
    const chunk = bytes.subarray(at, at + chunkSize)
    expect(meter.push(chunk)).toBe(chunk)
  }
  expect(meter.flush()).toBeNull()
  const result = meter.finish(complete)
  // The proxy meters a body it read whole without a meter: the same body must give the same result.
  expect(meterJsonBody(bytes, endpoint, limits)).toEqual(result)
  return result
}

const chatBody = JSON.stringify({
  id: 'chatcmpl-B9',
  object: 'chat.completion',
  created: 1741000000,
  model: 'o4-mini-2025-04-16',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! 👋 "usage" is a word.', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
  usage: {
    prompt_tokens: 1200,
    completion_tokens: 250,
    total_tokens: 1450,
    prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 192, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_9f2c',
})

const embeddingsBody = (count: number) =>
  JSON.stringify({
    object: 'list',
    data: Array.from({ length: count }, (_, index) => ({ object: 'embedding', index, embedding: [0.0023064255, -0.009327292, 0.015797347] })),
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  })

const responsesBody = JSON.stringify({
  id: 'resp_67cc',
  object: 'response',
  created_at: 1741476542,
  status: 'completed',
  error: null,
  incomplete_details: null,
  model: 'gpt-4.1-2025-04-14',
  output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }],
  usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 123 },
  user: null,
  metadata: {},
})

describe('json meter', () => {
  const cases: Array<[string, Endpoint, string, MeterResult]> = [
    ['openai chat with cached and reasoning tokens', 'chat/completions', chatBody, { usage: usage(1200, 1024, 250, 192), estimated: false, responseModel: 'o4-mini-2025-04-16', errorCode: null }],
    ['embeddings: no completion tokens', 'embeddings', embeddingsBody(2), { usage: usage(8, 0, 0, 0), estimated: false, responseModel: 'text-embedding-3-small', errorCode: null }],
    ['responses API', 'responses', responsesBody, { usage: usage(36, 0, 87, 0), estimated: false, responseModel: 'gpt-4.1-2025-04-14', errorCode: null }],
    [
      'gemini with thinking in total_tokens',
      'chat/completions',
      '{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"42","role":"assistant"}}],"created":1750000000,"id":"abc","model":"gemini-2.5-pro","object":"chat.completion","usage":{"completion_tokens":1,"prompt_tokens":12,"total_tokens":413}}',
      { usage: usage(12, 0, 401, 400), estimated: false, responseModel: 'gemini-2.5-pro', errorCode: null },
    ],
    [
      'openai error',
      'chat/completions',
      '{\n  "error": {\n    "message": "Incorrect API key provided: sk-abc.",\n    "type": "invalid_request_error",\n    "param": null,\n    "code": "invalid_api_key"\n  }\n}\n',
      { usage: null, estimated: false, responseModel: null, errorCode: 'invalid_api_key' },
    ],
    [
      'google error',
      'chat/completions',
      '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}',
      { usage: null, estimated: false, responseModel: null, errorCode: 'INVALID_ARGUMENT' },
    ],
    [
      'google error wrapped in an array',
      'chat/completions',
      '[{\n  "error": {\n    "code": 429,\n    "message": "Resource has been exhausted",\n    "status": "RESOURCE_EXHAUSTED"\n  }\n}\n]',
      { usage: null, estimated: false, responseModel: null, errorCode: 'RESOURCE_EXHAUSTED' },
    ],
    [
      'azure content filter',
      'chat/completions',
      '{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}}',
      { usage: null, estimated: false, responseModel: null, errorCode: 'content_filter' },
    ],
    ['empty body', 'chat/completions', '', { usage: null, estimated: false, responseModel: null, errorCode: null }],
    ['html error page', 'chat/completions', '<html><body>502 Bad Gateway</body></html>', { usage: null, estimated: false, responseModel: null, errorCode: null }],
    ['json but not an object', 'chat/completions', '"ok"', { usage: null, estimated: false, responseModel: null, errorCode: null }],
  ]

  for (const [name, endpoint, body, expected] of cases) {
    test(name, () => {
      expect(meterBody(endpoint, body)).toEqual(expected)
      expect(meterBody(endpoint, body, 7)).toEqual(expected)
      expect(meterBody(endpoint, body, 1)).toEqual(expected)
    })
  }

  test('a body cut off is scanned for what it holds', () => {
    const cut = chatBody.slice(0, chatBody.indexOf('"service_tier"'))
    expect(meterBody('chat/completions', cut, 64, undefined, false)).toEqual({
      usage: usage(1200, 1024, 250, 192),
      estimated: false,
      responseModel: 'o4-mini-2025-04-16',
      errorCode: null,
    })
  })

  test('a body beyond the limit keeps only its edges and still finds model and usage at the end', () => {
    const body = embeddingsBody(5000)
    const limits = { maxBodyBytes: 16 * 1024, edgeBytes: 1024 }
    expect(body.length).toBeGreaterThan(limits.maxBodyBytes * 10)
    expect(meterBody('embeddings', body, 1000, limits)).toEqual({
      usage: usage(8, 0, 0, 0),
      estimated: false,
      responseModel: 'text-embedding-3-small',
      errorCode: null,
    })
  })

  test('a body beyond the limit with the model at its start', () => {
    const body = JSON.stringify({ model: 'gpt-4o', data: 'x'.repeat(50_000), usage: { prompt_tokens: 3, completion_tokens: 4 } })
    const result = meterBody('chat/completions', body, 4096, { maxBodyBytes: 8192, edgeBytes: 512 })
    expect(result).toMatchObject({ usage: usage(3, 0, 4, 0), responseModel: 'gpt-4o' })
  })

  test('a body beyond the limit without usage in its tail: usage null, no crash', () => {
    const body = JSON.stringify({ model: 'gpt-4o', usage: { prompt_tokens: 3 }, data: 'x'.repeat(50_000) })
    expect(meterBody('chat/completions', body, 4096, { maxBodyBytes: 8192, edgeBytes: 512 }).usage).toBeNull()
  })
})
