import { describe, expect, test } from 'bun:test'
import { bodyKind, createMeter, type MeterOptions } from '../../src/usage/meter'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

describe('bodyKind', () => {
  const cases: Array<[string | null, boolean, ReturnType<typeof bodyKind>]> = [
    ['text/event-stream', true, 'event-stream'],
    ['text/event-stream; charset=utf-8', false, 'event-stream'],
    ['Text/Event-Stream', true, 'event-stream'],
    ['application/json', true, 'json'],
    ['application/json; charset=utf-8', false, 'json'],
    ['application/problem+json', false, 'json'],
    ['text/plain', false, 'json'],
    ['text/html; charset=utf-8', true, 'json'],
    ['audio/mpeg', false, 'opaque'],
    ['image/png', false, 'opaque'],
    ['application/octet-stream', true, 'opaque'],
    [null, true, 'event-stream'],
    [null, false, 'json'],
    ['', false, 'json'],
  ]
  for (const [contentType, stream, expected] of cases) {
    test(`${contentType} (stream: ${stream})`, () => expect(bodyKind(contentType, stream)).toBe(expected))
  }
})

describe('createMeter', () => {
  const base: MeterOptions = { provider: 'openai', endpoint: 'chat/completions', stream: true, contentType: null, stripUsageChunk: true }
  const usageChunk = 'data: {"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n'
  const stream = `data: {"model":"gpt-4o","choices":[{"delta":{"content":"Hi"}}],"usage":null}\n\n${usageChunk}data: [DONE]\n\n`

  test('an event stream is metered as SSE and stripped when asked', () => {
    const meter = createMeter({ ...base, contentType: 'text/event-stream; charset=utf-8' })
    expect(decoder.decode(meter.push(encoder.encode(stream)))).toBe(stream.replace(usageChunk, ''))
    expect(meter.finish(true)).toMatchObject({ usage: { inputTokens: 5, outputTokens: 2 }, responseModel: 'gpt-4o' })
  })

  test('a JSON answer to a stream request (an error) is metered as JSON', () => {
    const meter = createMeter({ ...base, contentType: 'application/json' })
    const body = encoder.encode('{"error":{"message":"bad","type":"invalid_request_error","code":"context_length_exceeded"}}')
    expect(meter.push(body)).toBe(body)
    expect(meter.finish(true).errorCode).toBe('context_length_exceeded')
  })

  test('audio passes through and records nothing', () => {
    const meter = createMeter({ ...base, stream: false, contentType: 'audio/mpeg', endpoint: 'other' })
    const chunk = new Uint8Array([0xff, 0xfb, 0x90, 0x64])
    expect(meter.push(chunk)).toBe(chunk)
    expect(meter.flush()).toBeNull()
    expect(meter.finish(true)).toEqual({ usage: null, estimated: false, responseModel: null, errorCode: null })
  })
})
