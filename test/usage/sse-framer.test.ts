import { describe, expect, test } from 'bun:test'
import { type FrameSink, SseFramer } from '../../src/usage/sse-framer'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Feeds the chunks and records every piece the framer hands over, as text with its kind. */
function frame(chunks: string[], maxEventBytes = 1 << 20): string[] {
  const pieces: string[] = []
  const sink: FrameSink = {
    event: (block, lines) => pieces.push(`event(${lines}):${decoder.decode(block)}`),
    oversized: (bytes) => pieces.push(`oversized:${decoder.decode(bytes)}`),
    lateLf: (byte) => pieces.push(`lateLf:${decoder.decode(byte)}`),
  }
  const framer = new SseFramer(maxEventBytes)
  for (const chunk of chunks) framer.feed(encoder.encode(chunk), sink)
  const tail = framer.takeTail()
  if (tail) pieces.push(`tail:${decoder.decode(tail)}`)
  return pieces
}

describe('SseFramer', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['two events in one chunk', ['data: a\n\ndata: b\n\n'], ['event(1):data: a\n\n', 'event(1):data: b\n\n']],
    ['an event over three chunks', ['da', 'ta: a\n', '\n'], ['event(1):data: a\n\n']],
    ['CRLF terminators', ['data: a\r\n\r\n'], ['event(1):data: a\r\n\r\n']],
    ['CR terminators', ['data: a\r\rdata: b\r\r'], ['event(1):data: a\r\r', 'event(1):data: b\r\r']],
    ['CRLF split between CR and LF inside a block', ['data: a\r', '\nevent: x\r\n\r\n'], ['event(2):data: a\r\nevent: x\r\n\r\n']],
    ['CRLF split between CR and LF of the blank line', ['data: a\r\n\r', '\ndata: b\r\n\r\n'], ['event(1):data: a\r\n\r', 'lateLf:\n', 'event(1):data: b\r\n\r\n']],
    ['a CR-ended block followed by a new block, not an LF', ['data: a\r\r', 'data: b\r\r'], ['event(1):data: a\r\r', 'event(1):data: b\r\r']],
    ['multi-line event', ['event: e\ndata: 1\ndata: 2\n\n'], ['event(3):event: e\ndata: 1\ndata: 2\n\n']],
    ['comment block', [': keep-alive\n\n'], ['event(1):: keep-alive\n\n']],
    ['leading blank line is an empty block', ['\ndata: a\n\n'], ['event(0):\n', 'event(1):data: a\n\n']],
    ['incomplete tail', ['data: a\n\ndata: b\n'], ['event(1):data: a\n\n', 'tail:data: b\n']],
    ['empty chunks', ['', 'data: a\n', '', '\n'], ['event(1):data: a\n\n']],
  ]
  for (const [name, chunks, expected] of cases) test(name, () => expect(frame(chunks)).toEqual(expected))

  test('a block larger than the limit passes on as it comes, then framing resumes', () => {
    expect(frame(['data: 0123', '456789', '\n\ndata: a\n\n'], 8)).toEqual([
      'oversized:data: 0123',
      'oversized:456789',
      'oversized:\n\n',
      'event(1):data: a\n\n',
    ])
  })

  test('the kept tail is a copy, not a view of the client chunk', () => {
    const chunk = encoder.encode('data: abc')
    const framer = new SseFramer(1024)
    framer.feed(chunk, { event: () => {}, oversized: () => {}, lateLf: () => {} })
    chunk.fill(0)
    expect(decoder.decode(framer.takeTail()!)).toBe('data: abc')
  })
})
