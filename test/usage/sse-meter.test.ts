import { describe, expect, test } from 'bun:test'
import type { ProviderId } from '../../src/registry/schema'
import { createSseMeter } from '../../src/usage/sse-meter'
import type { Endpoint, Meter, MeterResult, Usage } from '../../src/usage/types'

// ---------------------------------------------------------------------------------------------------------------
// Building streams

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** One event block: its lines, without terminators. */
type Block = string[]

const data = (payload: unknown): string => `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}`
/** JSON with a space after every separator, as some Python servers write it. */
const looseJson = (payload: unknown): string => JSON.stringify(payload, null, 1).replace(/\n\s*/g, ' ')
const DONE: Block = ['data: [DONE]']

function sse(blocks: Block[], eol = '\n'): string {
  return blocks.map((lines) => lines.join(eol) + eol + eol).join('')
}

function usage(inputTokens: number, cachedInputTokens: number, outputTokens: number, reasoningTokens: number): Usage {
  return { inputTokens, cachedInputTokens, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens, reasoningTokens }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures, one per provider and endpoint, shaped like the providers' real streams (reference/providers.md)

interface StreamFixture {
  name: string
  provider: ProviderId
  endpoint: Endpoint
  blocks: Block[]
  eol?: string
  /** index of the usage-only block that stripping removes */
  usageOnlyBlock: number | null
  expected: MeterResult
}

const openaiChunk = (model: string, choices: unknown[], usageValue: unknown = null): Block => [
  data({
    id: 'chatcmpl-BkX1',
    object: 'chat.completion.chunk',
    created: 1750000000,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_9f2c',
    choices,
    usage: usageValue,
    obfuscation: 'Qm2b',
  }),
]
const delta = (content: string, finish: string | null = null) => [
  { index: 0, delta: content === '' && finish ? {} : { content }, logprobs: null, finish_reason: finish },
]

const O4 = 'o4-mini-2025-04-16'
const openaiReasoning: StreamFixture = {
  name: 'openai chat, usage chunk with cached and reasoning tokens',
  provider: 'openai',
  endpoint: 'chat/completions',
  blocks: [
    openaiChunk(O4, [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]),
    openaiChunk(O4, delta('Héllo 👋')),
    openaiChunk(O4, delta(', "world"\n')),
    openaiChunk(O4, delta('', 'stop')),
    openaiChunk(O4, [], {
      prompt_tokens: 1200,
      completion_tokens: 250,
      total_tokens: 1450,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 192, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    }),
    DONE,
  ],
  usageOnlyBlock: 4,
  expected: { usage: usage(1200, 1024, 250, 192), estimated: false, responseModel: O4, errorCode: null },
}

const openaiNoUsage: StreamFixture = {
  name: 'openai chat without a usage chunk (client did not ask, nothing injected)',
  provider: 'openai',
  endpoint: 'chat/completions',
  blocks: [
    ['data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}'],
    ['data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}'],
    ['data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'],
    DONE,
  ],
  usageOnlyBlock: null,
  // no totals: estimated from the text ('Hi': 1 token); input unknown to a meter given no estimate
  expected: { usage: usage(0, 0, 1, 0), estimated: true, responseModel: 'gpt-4o-2024-08-06', errorCode: null },
}

const completionChunk = (choices: unknown[], usageValue: unknown = null): Block => [
  data({ id: 'cmpl-9x', object: 'text_completion', created: 1750000000, choices, model: 'gpt-3.5-turbo-instruct', usage: usageValue }),
]
const openaiLegacy: StreamFixture = {
  name: 'openai legacy completions with usage chunk',
  provider: 'openai',
  endpoint: 'completions',
  blocks: [
    completionChunk([{ text: 'Once', index: 0, logprobs: null, finish_reason: null }]),
    completionChunk([{ text: ' upon a time', index: 0, logprobs: null, finish_reason: 'length' }]),
    completionChunk([], { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 }),
    DONE,
  ],
  usageOnlyBlock: 2,
  expected: { usage: usage(5, 0, 4, 0), estimated: false, responseModel: 'gpt-3.5-turbo-instruct', errorCode: null },
}

const GPT41 = 'gpt-4.1-2025-04-14'
const responseObject = (status: string, extra: Record<string, unknown> = {}) => ({
  id: 'resp_67ccd2bed1ec8190',
  object: 'response',
  created_at: 1741476542,
  status,
  error: null,
  incomplete_details: null,
  model: GPT41,
  output: [],
  usage: null,
  ...extra,
})
const responsesEvent = (type: string, payload: Record<string, unknown>): Block => [`event: ${type}`, data({ type, ...payload })]
const responsesPrelude: Block[] = [
  responsesEvent('response.created', { sequence_number: 0, response: responseObject('in_progress') }),
  responsesEvent('response.in_progress', { sequence_number: 1, response: responseObject('in_progress') }),
  responsesEvent('response.output_item.added', {
    sequence_number: 2,
    output_index: 0,
    item: { id: 'msg_1', type: 'message', status: 'in_progress', content: [], role: 'assistant' },
  }),
  responsesEvent('response.output_text.delta', { sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hello' }),
  responsesEvent('response.output_text.delta', { sequence_number: 4, item_id: 'msg_1', output_index: 0, content_index: 0, delta: ' world!' }),
  responsesEvent('response.output_text.done', { sequence_number: 5, item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hello world!' }),
]
const responsesUsage = {
  input_tokens: 36,
  input_tokens_details: { cached_tokens: 12 },
  output_tokens: 87,
  output_tokens_details: { reasoning_tokens: 64 },
  total_tokens: 123,
}
const responsesCompleted: StreamFixture = {
  name: 'responses API stream, usage on response.completed',
  provider: 'openai',
  endpoint: 'responses',
  blocks: [
    ...responsesPrelude,
    responsesEvent('response.completed', {
      sequence_number: 6,
      response: responseObject('completed', {
        output: [{ id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello world!' }] }],
        usage: responsesUsage,
      }),
    }),
  ],
  usageOnlyBlock: null,
  expected: { usage: usage(36, 12, 87, 64), estimated: false, responseModel: GPT41, errorCode: null },
}
const responsesIncomplete: StreamFixture = {
  ...responsesCompleted,
  name: 'responses API stream ending in response.incomplete',
  blocks: [
    ...responsesPrelude,
    responsesEvent('response.incomplete', {
      sequence_number: 6,
      response: responseObject('incomplete', { incomplete_details: { reason: 'max_output_tokens' }, usage: responsesUsage }),
    }),
  ],
}
const responsesFailed: StreamFixture = {
  ...responsesCompleted,
  name: 'responses API stream ending in response.failed',
  blocks: [
    ...responsesPrelude,
    responsesEvent('response.failed', {
      sequence_number: 6,
      response: responseObject('failed', { error: { code: 'server_error', message: 'The model failed.' }, usage: responsesUsage }),
    }),
  ],
  expected: { ...responsesCompleted.expected, errorCode: 'server_error' },
}
const responsesErrorEvent: StreamFixture = {
  ...responsesCompleted,
  name: 'responses API stream with an error event',
  blocks: [
    ...responsesPrelude.slice(0, 2),
    responsesEvent('error', { sequence_number: 2, code: 'rate_limit_exceeded', message: 'Slow down', param: null }),
  ],
  expected: { usage: null, estimated: false, responseModel: GPT41, errorCode: 'rate_limit_exceeded' },
}

const SONNET = 'claude-sonnet-4-20250514'
const anthropicChunk = (choices: unknown[], usageValue?: unknown): Block => [
  data({ id: 'msg_01XF', object: 'chat.completion.chunk', created: 1750000000, model: SONNET, choices, ...(usageValue ? { usage: usageValue } : {}) }),
]
const anthropicUsage = { prompt_tokens: 25, completion_tokens: 9, total_tokens: 34, prompt_tokens_details: {}, completion_tokens_details: {} }
const anthropicUsageChunk: StreamFixture = {
  name: 'anthropic compat with usage chunk (details always empty)',
  provider: 'anthropic',
  endpoint: 'chat/completions',
  blocks: [
    anthropicChunk([{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }]),
    anthropicChunk([{ index: 0, delta: { content: ' there' }, finish_reason: null }]),
    anthropicChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    anthropicChunk([], anthropicUsage),
    DONE,
  ],
  usageOnlyBlock: 3,
  expected: { usage: usage(25, 0, 9, 0), estimated: false, responseModel: SONNET, errorCode: null },
}
const anthropicUsageOnFinish: StreamFixture = {
  ...anthropicUsageChunk,
  name: 'anthropic compat with usage on the finish chunk (nothing to strip)',
  blocks: [
    anthropicChunk([{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }]),
    anthropicChunk([{ index: 0, delta: {}, finish_reason: 'stop' }], anthropicUsage),
    DONE,
  ],
  usageOnlyBlock: null,
}

const LLAMA = 'llama-3.3-70b-versatile'
const groqTimedUsage = {
  queue_time: 0.021,
  prompt_tokens: 40,
  prompt_time: 0.0021,
  completion_tokens: 12,
  completion_time: 0.044,
  total_tokens: 52,
  total_time: 0.0461,
}
const groqChunk = (choices: unknown[], extra: Record<string, unknown>): Block => [
  data(looseJson({ id: 'chatcmpl-7e1', object: 'chat.completion.chunk', created: 1750000000, model: LLAMA, system_fingerprint: 'fp_3f3b', choices, ...extra })),
]
const groqBoth: StreamFixture = {
  name: 'groq with x_groq.usage on the finish chunk and a usage chunk (count once)',
  provider: 'groq',
  endpoint: 'chat/completions',
  blocks: [
    groqChunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], { x_groq: { id: 'req_01j' } }),
    groqChunk([{ index: 0, delta: { content: 'Hi!' }, logprobs: null, finish_reason: null }], {}),
    groqChunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], { x_groq: { id: 'req_01j', usage: groqTimedUsage } }),
    groqChunk([], { usage: groqTimedUsage, x_groq: { id: 'req_01j', usage: groqTimedUsage } }),
    DONE,
  ],
  usageOnlyBlock: 3,
  expected: { usage: usage(40, 0, 12, 0), estimated: false, responseModel: LLAMA, errorCode: null },
}
const groqXOnly: StreamFixture = {
  ...groqBoth,
  name: 'groq with x_groq.usage only',
  blocks: [groqBoth.blocks[0]!, groqBoth.blocks[1]!, groqBoth.blocks[2]!, DONE],
  usageOnlyBlock: null,
}

const GEMINI = 'gemini-2.5-flash'
const geminiChunk = (content: string, finish: string | null, prompt: number, completion: number, total: number): Block => [
  data({
    choices: [{ delta: { content, role: 'assistant' }, ...(finish ? { finish_reason: finish } : {}), index: 0 }],
    created: 1750000000,
    id: 'Wv1JaKq',
    model: GEMINI,
    object: 'chat.completion.chunk',
    usage: { completion_tokens: completion, prompt_tokens: prompt, total_tokens: total },
  }),
]
const geminiCumulative: StreamFixture = {
  name: 'gemini cumulative usage on every chunk, thinking in total_tokens (last wins, never added)',
  provider: 'gemini',
  endpoint: 'chat/completions',
  blocks: [
    geminiChunk('The answer', null, 12, 3, 115),
    geminiChunk(' is forty', null, 12, 20, 132),
    geminiChunk('-two.', 'stop', 12, 41, 153),
    DONE,
  ],
  usageOnlyBlock: null,
  // 153 - 12 - 41 = 100 thinking tokens, billed as output
  expected: { usage: usage(12, 0, 141, 100), estimated: false, responseModel: GEMINI, errorCode: null },
}

const AZURE_MODEL = 'gpt-4o-2024-08-06'
const filterResults = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
}
const azureChunk = (choices: unknown[], usageValue: unknown = null): Block => [
  data({ choices, created: 1750000000, id: 'chatcmpl-AZ9', model: AZURE_MODEL, object: 'chat.completion.chunk', system_fingerprint: 'fp_b705', usage: usageValue }),
]
const azureBlocks: Block[] = [
  [data({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: filterResults }] })],
  azureChunk([{ content_filter_results: {}, delta: { content: '', refusal: null, role: 'assistant' }, finish_reason: null, index: 0, logprobs: null }]),
  [': keep-alive'],
  azureChunk([{ content_filter_results: filterResults, delta: { content: 'Bonjour' }, finish_reason: null, index: 0, logprobs: null }]),
  azureChunk([{ content_filter_results: {}, delta: {}, finish_reason: 'stop', index: 0, logprobs: null }]),
  [
    data({
      choices: [{ content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 7 }, content_filter_results: filterResults, finish_reason: null, index: 0 }],
      created: 0,
      id: '',
      model: '',
      object: '',
    }),
  ],
  azureChunk([], {
    completion_tokens: 3,
    prompt_tokens: 20,
    total_tokens: 23,
    completion_tokens_details: { reasoning_tokens: 0 },
    prompt_tokens_details: { cached_tokens: 0 },
  }),
  DONE,
]
const azure: StreamFixture = {
  name: 'azure: empty first chunk, content filter offsets, keep-alive, usage chunk',
  provider: 'azure',
  endpoint: 'chat/completions',
  blocks: azureBlocks,
  usageOnlyBlock: 6,
  expected: { usage: usage(20, 0, 3, 0), estimated: false, responseModel: AZURE_MODEL, errorCode: null },
}
const azureCrLf: StreamFixture = { ...azure, name: 'azure with \\r\\n line terminators', eol: '\r\n' }
const azureCr: StreamFixture = { ...azure, name: 'azure with \\r line terminators', eol: '\r' }

const midStreamError: StreamFixture = {
  name: 'openai chat with a mid-stream error payload',
  provider: 'openai',
  endpoint: 'chat/completions',
  blocks: [
    openaiChunk('gpt-4o-2024-08-06', delta('Partial')),
    [data({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })],
  ],
  usageOnlyBlock: null,
  // 'Partial': 7 characters, 2 tokens
  expected: { usage: usage(0, 0, 2, 0), estimated: true, responseModel: 'gpt-4o-2024-08-06', errorCode: 'server_error' },
}

const FIXTURES: StreamFixture[] = [
  openaiReasoning,
  openaiNoUsage,
  openaiLegacy,
  responsesCompleted,
  responsesIncomplete,
  responsesFailed,
  responsesErrorEvent,
  anthropicUsageChunk,
  anthropicUsageOnFinish,
  groqBoth,
  groqXOnly,
  geminiCumulative,
  azure,
  azureCrLf,
  azureCr,
  midStreamError,
]

// ---------------------------------------------------------------------------------------------------------------
// Running a meter

function meterFor(fixture: Pick<StreamFixture, 'provider' | 'endpoint'>, stripUsageChunk: boolean, inputTokensEstimate?: number): Meter {
  return createSseMeter({ provider: fixture.provider, endpoint: fixture.endpoint, stripUsageChunk, inputTokensEstimate })
}

/** Feeds the chunks; answers the bytes the client receives and the result. */
function run(meter: Meter, chunks: Uint8Array[], complete = true): { out: Uint8Array; result: MeterResult } {
  const pieces: Uint8Array[] = []
  for (const chunk of chunks) pieces.push(meter.push(chunk))
  const tail = meter.flush()
  if (tail) pieces.push(tail)
  return { out: new Uint8Array(Buffer.concat(pieces)), result: meter.finish(complete) }
}

const splitAt = (bytes: Uint8Array, ...cuts: number[]): Uint8Array[] =>
  [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.slice(i === 0 ? 0 : ends[i - 1], end))
const oneByteChunks = (bytes: Uint8Array): Uint8Array[] => Array.from(bytes, (byte) => Uint8Array.of(byte))

/** Deterministic pseudo-random splits into 2..8 chunks. */
function randomSplits(bytes: Uint8Array, count: number): Uint8Array[][] {
  let seed = 0x2545f491
  const next = (limit: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed % limit
  }
  return Array.from({ length: count }, () => {
    const cuts = Array.from({ length: 1 + next(7) }, () => next(bytes.length + 1)).sort((a, b) => a - b)
    return splitAt(bytes, ...cuts)
  })
}

/** Every way the tests cut a stream: whole, at every byte position, byte by byte, at random. */
function everySplit(bytes: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [[bytes], oneByteChunks(bytes)]
  for (let cut = 0; cut <= bytes.length; cut++) splits.push(splitAt(bytes, cut))
  return splits.concat(randomSplits(bytes, 50))
}

/** Chunk lengths, for a readable failure. */
const describeSplit = (chunks: Uint8Array[]): string => chunks.map((chunk) => chunk.length).join('+')

const streamOf = (fixture: StreamFixture): string => sse(fixture.blocks, fixture.eol)
const strippedStreamOf = (fixture: StreamFixture): string =>
  sse(fixture.blocks.filter((_, i) => i !== fixture.usageOnlyBlock), fixture.eol)

// ---------------------------------------------------------------------------------------------------------------

describe('sse meter: usage, model and errors of each provider', () => {
  for (const fixture of FIXTURES) {
    test(fixture.name, () => {
      const { result } = run(meterFor(fixture, false), [encoder.encode(streamOf(fixture))])
      expect(result).toEqual(fixture.expected)
    })
  }
})

describe('sse meter without stripping: zero copy, same result however the stream is cut', () => {
  for (const fixture of FIXTURES) {
    test(fixture.name, () => {
      const failures: string[] = []
      for (const chunks of everySplit(encoder.encode(streamOf(fixture)))) {
        const meter = meterFor(fixture, false)
        if (!chunks.every((chunk) => meter.push(chunk) === chunk)) failures.push(`copied: ${describeSplit(chunks)}`)
        if (meter.flush() !== null) failures.push(`flushed: ${describeSplit(chunks)}`)
        if (!Bun.deepEquals(meter.finish(true), fixture.expected)) failures.push(`result: ${describeSplit(chunks)}`)
      }
      expect(failures).toEqual([])
    })
  }
})

describe('sse meter with stripping: exactly the usage-only chunk is removed, byte for byte', () => {
  for (const fixture of FIXTURES) {
    test(fixture.name, () => {
      const stream = encoder.encode(streamOf(fixture))
      const expectedOut = encoder.encode(strippedStreamOf(fixture))
      expect(expectedOut.length < stream.length).toBe(fixture.usageOnlyBlock !== null)
      const failures: string[] = []
      for (const chunks of everySplit(stream)) {
        const { out, result } = run(meterFor(fixture, true), chunks)
        if (!Bun.deepEquals(out, expectedOut)) failures.push(`bytes: ${describeSplit(chunks)}`)
        if (!Bun.deepEquals(result, fixture.expected)) failures.push(`result: ${describeSplit(chunks)}`)
      }
      expect(failures).toEqual([])
    })
  }

  test('a chunk with nothing removed or held comes back as the same object', () => {
    const meter = meterFor(openaiReasoning, true)
    const first = encoder.encode(sse(openaiReasoning.blocks.slice(0, 2)))
    expect(meter.push(first)).toBe(first)
  })

  test('a chunk holding only the usage-only event comes back empty', () => {
    const meter = meterFor(openaiReasoning, true)
    meter.push(encoder.encode(sse(openaiReasoning.blocks.slice(0, 4))))
    expect(meter.push(encoder.encode(sse([openaiReasoning.blocks[4]!])))).toHaveLength(0)
  })

  test('events are forwarded as soon as complete; only the incomplete tail is held', () => {
    const meter = meterFor(openaiReasoning, true)
    const complete = sse(openaiReasoning.blocks.slice(0, 2))
    const out = meter.push(encoder.encode(complete + 'data: {"id":"chatcmpl'))
    expect(decoder.decode(out)).toBe(complete)
  })

  test('an unterminated trailing event comes back from flush', () => {
    const meter = meterFor(openaiNoUsage, true)
    meter.push(encoder.encode('data: [DONE]'))
    expect(decoder.decode(meter.flush()!)).toBe('data: [DONE]')
  })

  test('an unterminated trailing usage-only event is removed and still counted', () => {
    const stream = sse(openaiReasoning.blocks.slice(0, 4)) + openaiReasoning.blocks[4]![0]
    const { out, result } = run(meterFor(openaiReasoning, true), [encoder.encode(stream)])
    expect(decoder.decode(out)).toBe(sse(openaiReasoning.blocks.slice(0, 4)))
    expect(result.usage).toEqual(openaiReasoning.expected.usage)
  })

  test('a stripped event ending in \\r\\n\\r\\n takes its final \\n along, even when it arrives in the next chunk', () => {
    const stream = sse(azure.blocks, '\r\n')
    const usageEnd = stream.indexOf('[DONE]') - 'data: '.length
    const cut = usageEnd - 1 // between the last \r and \n of the usage event
    const { out } = run(meterFor(azure, true), splitAt(encoder.encode(stream), cut))
    expect(decoder.decode(out)).toBe(strippedStreamOf(azureCrLf))
  })
})

describe('sse meter: streams that end without their totals', () => {
  const cut = (fixture: StreamFixture, blocks: number, complete = false) =>
    run(meterFor(fixture, false), [encoder.encode(sse(fixture.blocks.slice(0, blocks), fixture.eol))], complete).result

  test('cut before the usage chunk: output estimated from the text seen, 4 chars per token', () => {
    // 'Héllo 👋' (8 UTF-16 units) + ', "world"\n' (10 characters) = 18 characters -> 5 tokens
    expect(cut(openaiReasoning, 3)).toEqual({ usage: usage(0, 0, 5, 0), estimated: true, responseModel: O4, errorCode: null })
  })

  test('cut responses stream: estimated from output_text deltas only', () => {
    // 'Hello' + ' world!' = 12 characters -> 3 tokens; the .done event's text is not counted again
    expect(cut(responsesCompleted, 6).usage).toEqual(usage(0, 0, 3, 0))
  })

  test('cut legacy completions stream: estimated from text', () => {
    expect(cut(openaiLegacy, 2)).toMatchObject({ usage: usage(0, 0, 4, 0), estimated: true })
  })

  test('cut gemini stream: the last running total, estimated', () => {
    expect(cut(geminiCumulative, 2)).toEqual({ usage: usage(12, 0, 120, 100), estimated: true, responseModel: GEMINI, errorCode: null })
  })

  test('gemini cut right after its finish chunk: that total is final', () => {
    expect(cut(geminiCumulative, 3)).toMatchObject({ usage: geminiCumulative.expected.usage, estimated: false })
  })

  test('groq cut after the finish chunk: x_groq.usage is final', () => {
    expect(cut(groqBoth, 3)).toMatchObject({ usage: usage(40, 0, 12, 0), estimated: false })
  })

  test('openai cut after the usage chunk but before [DONE]: final', () => {
    expect(cut(openaiReasoning, 5)).toMatchObject({ usage: openaiReasoning.expected.usage, estimated: false })
  })

  test('cut in the middle of an event: no crash, the partial text counts', () => {
    const stream = sse(openaiReasoning.blocks.slice(0, 2)) + 'data: {"id":"chatcmpl-BkX1","choices":[{"delta":{"content":"abcd'
    const { result } = run(meterFor(openaiReasoning, false), [encoder.encode(stream)], false)
    expect(result).toMatchObject({ usage: usage(0, 0, 3, 0), estimated: true }) // 8 + 4 characters
  })

  test('cut before anything was generated: no usage', () => {
    expect(cut(openaiReasoning, 1)).toEqual({ usage: null, estimated: false, responseModel: O4, errorCode: null })
  })

  test('ended normally without a usage chunk: estimated like a cut stream', () => {
    expect(cut(openaiNoUsage, 4, true)).toMatchObject({ usage: usage(0, 0, 1, 0), estimated: true })
  })

  test('[DONE] seen, then cut: estimated the same', () => {
    expect(cut(openaiNoUsage, 4, false)).toMatchObject({ usage: usage(0, 0, 1, 0), estimated: true })
  })

  const withInput = (fixture: StreamFixture, blocks: number, complete: boolean) =>
    run(meterFor(fixture, false, 250), [encoder.encode(sse(fixture.blocks.slice(0, blocks), fixture.eol))], complete).result

  test('ended without totals, given an input estimate: input from it, output from the text', () => {
    expect(withInput(openaiNoUsage, 4, true)).toEqual({ usage: usage(250, 0, 1, 0), estimated: true, responseModel: 'gpt-4o-2024-08-06', errorCode: null })
  })

  test('cut before the totals, given an input estimate: input from it, output from the text', () => {
    expect(withInput(openaiReasoning, 3, false)).toEqual({ usage: usage(250, 0, 5, 0), estimated: true, responseModel: O4, errorCode: null })
  })

  test('cut before anything was generated, given an input estimate: the input alone', () => {
    expect(withInput(openaiReasoning, 1, false)).toMatchObject({ usage: usage(250, 0, 0, 0), estimated: true })
  })

  test("cut after a running total: the provider's input count wins over the estimate", () => {
    expect(withInput(geminiCumulative, 2, false)).toMatchObject({ usage: usage(12, 0, 120, 100), estimated: true })
  })

  test('cut after a running total without an input count: the estimate fills it in', () => {
    const stream = sse([[data({ model: 'm', choices: [{ index: 0, delta: { content: 'abcd' }, finish_reason: null }], usage: { completion_tokens: 7 } })]])
    const { result } = run(meterFor(openaiNoUsage, false, 250), [encoder.encode(stream)], false)
    expect(result).toMatchObject({ usage: usage(250, 0, 7, 0), estimated: true })
  })

  test('the final totals are never mixed with the estimate', () => {
    expect(withInput(openaiReasoning, 6, true)).toMatchObject({ usage: openaiReasoning.expected.usage, estimated: false })
  })

  test('empty stream', () => {
    expect(run(meterFor(openaiNoUsage, true), [], false)).toEqual({
      out: new Uint8Array(0),
      result: { usage: null, estimated: false, responseModel: null, errorCode: null },
    })
  })
})

describe('sse meter: odd but valid streams', () => {
  test('an error event without data still sets the error code', () => {
    const { result } = run(meterFor(responsesCompleted, false), [encoder.encode('event: error\n\n')])
    expect(result.errorCode).toBe('error')
  })

  test('garbage data lines are ignored', () => {
    const stream = sse([['data: {"usage": {"prompt_tokens": '], ['data: not json'], ['retry: 100'], ['data']])
    const { result } = run(meterFor(openaiNoUsage, false), [encoder.encode(stream)])
    expect(result).toEqual({ usage: null, estimated: false, responseModel: null, errorCode: null })
  })

  test('multi-line data is joined before parsing', () => {
    const stream = sse([['data: {"model": "m",', 'data: "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}']])
    const { result } = run(meterFor(openaiNoUsage, true), [encoder.encode(stream)])
    expect(result).toMatchObject({ usage: usage(3, 0, 1, 0), responseModel: 'm' })
  })

  test('embeddings-shaped usage in a stream has no output', () => {
    const stream = sse([[data({ choices: [], usage: { prompt_tokens: 8, total_tokens: 10 } })]])
    const { result } = run(meterFor({ provider: 'openai', endpoint: 'embeddings' }, false), [encoder.encode(stream)])
    expect(result.usage).toEqual(usage(8, 0, 0, 0))
  })
})

describe('sse meter: events larger than the limit', () => {
  test('are forwarded byte for byte, unmetered, and stripping still works after them', () => {
    const big: Block = [data({ choices: [{ index: 0, delta: { content: 'x'.repeat(2000) }, finish_reason: null }], usage: null })]
    const fixture: StreamFixture = { ...openaiReasoning, blocks: [big, ...openaiReasoning.blocks.slice(3)], usageOnlyBlock: 2 }
    const stream = encoder.encode(streamOf(fixture))
    const expectedOut = encoder.encode(strippedStreamOf(fixture))
    const failures: string[] = []
    for (const chunks of everySplit(stream)) {
      const meter = createSseMeter({ provider: 'openai', endpoint: 'chat/completions', stripUsageChunk: true, maxEventBytes: 1024 })
      const { out, result } = run(meter, chunks)
      if (!Bun.deepEquals(out, expectedOut)) failures.push(`bytes: ${describeSplit(chunks)}`)
      if (!Bun.deepEquals(result.usage, openaiReasoning.expected.usage)) failures.push(`usage: ${describeSplit(chunks)}`)
    }
    expect(failures).toEqual([])
  })
})
