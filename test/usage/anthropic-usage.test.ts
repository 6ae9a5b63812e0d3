import { describe, expect, test } from 'bun:test'
import { anthropicUsage, mergeAnthropicUsage, type AnthropicUsageFields } from '../../src/usage/anthropic-usage'
import { meterJsonBody } from '../../src/usage/json-meter'
import { createSseMeter } from '../../src/usage/sse-meter'

const enc = new TextEncoder()
const block = (type: string, payload: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`

describe('Anthropic usage fields', () => {
  test('the latest value of each field counts, never a sum; absent and null fields keep theirs', () => {
    const f: AnthropicUsageFields = {}
    mergeAnthropicUsage(f, { input_tokens: 10, cache_read_input_tokens: 500, cache_creation_input_tokens: 30, output_tokens: 1 })
    mergeAnthropicUsage(f, { output_tokens: 20, input_tokens: null })
    mergeAnthropicUsage(f, { output_tokens: 42, input_tokens: 10, cache_read_input_tokens: 500 })
    expect(anthropicUsage(f)).toEqual({ inputTokens: 540, cachedInputTokens: 500, cacheWriteTokens: 30, cacheWrite1hTokens: 0, outputTokens: 42, reasoningTokens: 0 })
  })

  test('a split cache_creation: 5-minute writes and 1-hour writes apart; any unsplit rest at 5 minutes', () => {
    const split = (c: number, m5: number, h1: number) => {
      const f: AnthropicUsageFields = {}
      mergeAnthropicUsage(f, { input_tokens: 1, cache_creation_input_tokens: c, cache_creation: { ephemeral_5m_input_tokens: m5, ephemeral_1h_input_tokens: h1 }, output_tokens: 0 })
      const u = anthropicUsage(f)!
      return [u.inputTokens, u.cacheWriteTokens, u.cacheWrite1hTokens]
    }
    expect(split(300, 100, 200)).toEqual([301, 100, 200])
    expect(split(350, 100, 200)).toEqual([351, 150, 200])
    // a split larger than the total it splits: the split is what was written
    expect(split(0, 100, 200)).toEqual([301, 100, 200])
  })

  test('garbage is ignored; nothing at all is null', () => {
    const f: AnthropicUsageFields = {}
    expect(mergeAnthropicUsage(f, { input_tokens: 'ten', output_tokens: -1 })).toBe(false)
    expect(mergeAnthropicUsage(f, null)).toBe(false)
    expect(anthropicUsage(f)).toBeNull()
  })
})

describe('metering /v1/messages', () => {
  const usage = { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 60, cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 40 }, output_tokens: 7 }
  test('JSON answer: usage with the cache counters, responseModel from model', () => {
    const r = meterJsonBody(enc.encode(JSON.stringify({ type: 'message', model: 'claude-x-1', usage })), 'messages')
    expect(r).toEqual({
      usage: { inputTokens: 165, cachedInputTokens: 100, cacheWriteTokens: 20, cacheWrite1hTokens: 40, outputTokens: 7, reasoningTokens: 0 },
      estimated: false, responseModel: 'claude-x-1', errorCode: null,
    })
  })

  test('count_tokens: its count is not usage', () => {
    const r = meterJsonBody(enc.encode('{"input_tokens": 1234}'), 'messages/count_tokens')
    expect(r.usage).toEqual({ inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0 })
  })

  test('an error answer: its type is the code', () => {
    const r = meterJsonBody(enc.encode('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'), 'messages')
    expect([r.usage, r.errorCode]).toEqual([null, 'overloaded_error'])
  })

  test('stream: message_start then message_delta; responseModel from message.model; bytes untouched', () => {
    const blocks = [
      block('message_start', { message: { id: 'm', model: 'claude-x-1', content: [], usage: { ...usage, output_tokens: 1 } } }),
      block('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hello' } }),
      block('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7, cache_read_input_tokens: 100 } }),
      block('message_stop', {}),
    ]
    const meter = createSseMeter({ provider: 'anthropic', endpoint: 'messages', stripUsageChunk: false })
    const bytes = enc.encode(blocks.join(''))
    // cut anywhere, the same answer
    for (let at = 0; at < bytes.length; at += 13) expect(meter.push(bytes.subarray(at, at + 13))).toEqual(bytes.subarray(at, at + 13))
    expect(meter.finish(true)).toEqual({
      usage: { inputTokens: 165, cachedInputTokens: 100, cacheWriteTokens: 20, cacheWrite1hTokens: 40, outputTokens: 7, reasoningTokens: 0 },
      estimated: false, responseModel: 'claude-x-1', errorCode: null,
    })
  })

  test('a mid-stream error event records its type', () => {
    const meter = createSseMeter({ provider: 'anthropic', endpoint: 'messages', stripUsageChunk: false })
    meter.push(enc.encode(block('message_start', { message: { model: 'claude-x-1', usage: { input_tokens: 3, output_tokens: 1 } } })))
    meter.push(enc.encode(block('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })))
    const r = meter.finish(true)
    expect([r.errorCode, r.usage?.inputTokens]).toEqual(['overloaded_error', 3])
  })
})
