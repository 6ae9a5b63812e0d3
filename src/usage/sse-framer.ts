import { concatBytes } from './bytes'

const LF = 0x0a
const CR = 0x0d

/** Receives the stream cut into pieces, in stream order; together the pieces are every byte fed, once. */
export interface FrameSink {
  /**
   * One complete event block: its lines and the blank line that ends it, terminators included.
   * `lines` counts its non-blank lines (most events are a single `data:` line).
   */
  event(block: Uint8Array, lines: number): void
  /** Bytes of a block too large to keep (see `maxEventBytes`): to forward, not to parse. */
  oversized(bytes: Uint8Array): void
  /**
   * The LF of a CRLF whose CR ended the previous block at the very end of the previous chunk. It belongs to
   * that block (remove it with it), but the block was handed over without waiting for it.
   */
  lateLf(byte: Uint8Array): void
}

/**
 * Cuts a `text/event-stream` byte stream into event blocks across arbitrary chunk boundaries, with the three
 * line terminators of the SSE specification (`\n`, `\r\n`, `\r`). It works on bytes, not text: the terminators
 * are ASCII, which never occurs inside a multi-byte UTF-8 sequence, so every block is whole UTF-8 and the pieces
 * can be forwarded byte for byte.
 *
 * A block is handed over as soon as its blank line is complete; only a trailing incomplete block is kept
 * (copied: the chunk itself belongs to the client).
 *
 * @example
 * const framer = new SseFramer(1 << 20)
 * framer.feed(bytes('data: 1\n\ndata: 2'), sink) // sink.event('data: 1\n\n'); 'data: 2' is kept
 * framer.takeTail()                              // 'data: 2'
 */
export class SseFramer {
  private held: Uint8Array[] = []
  private heldBytes = 0
  /** the current line already has bytes from an earlier chunk */
  private lineOpen = false
  /** non-blank lines of the current block so far */
  private blockLines = 0
  /** the previous chunk ended in a CR that ended a line inside the current block */
  private crEndedLine = false
  /** the previous chunk ended in a CR that ended a block */
  private crEndedBlock = false
  /** the current block outgrew `maxEventBytes`: its bytes pass on without being kept */
  private oversized = false

  /** @param maxEventBytes the largest block kept whole for parsing; beyond it the block is only passed on */
  constructor(private readonly maxEventBytes: number) {}

  feed(chunk: Uint8Array, sink: FrameSink): void {
    const length = chunk.length
    if (length === 0) return
    let i = 0
    let blockStart = 0
    if (this.crEndedBlock || this.crEndedLine) {
      if (chunk[0] === LF) {
        i = 1
        if (this.crEndedBlock) {
          sink.lateLf(chunk.subarray(0, 1))
          blockStart = 1
        }
      }
      this.crEndedBlock = this.crEndedLine = false
    }

    // Cached positions of the next LF and CR; most streams have no CR at all, so that search runs once.
    let nextLf = -2
    let nextCr = -2
    while (i < length) {
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i)
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i)
      const terminator = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr)
      if (terminator === -1) {
        this.lineOpen = true
        break
      }
      const blankLine = terminator === i && !this.lineOpen
      this.lineOpen = false
      let lineEnd = terminator + 1
      let crAtChunkEnd = false
      if (chunk[terminator] === CR) {
        if (lineEnd === length) crAtChunkEnd = true
        else if (chunk[lineEnd] === LF) lineEnd++
      }
      if (blankLine) {
        this.endBlock(chunk.subarray(blockStart, lineEnd), sink)
        blockStart = lineEnd
        this.crEndedBlock = crAtChunkEnd
      } else {
        this.blockLines++
        this.crEndedLine = crAtChunkEnd
      }
      i = lineEnd
    }
    if (blockStart < length) this.keep(chunk.subarray(blockStart), sink)
  }

  /** The kept bytes of a trailing incomplete block (the stream ended without its blank line), or null. */
  takeTail(): Uint8Array | null {
    return this.held.length === 0 ? null : this.releaseHeld()
  }

  private releaseHeld(): Uint8Array {
    const bytes = concatBytes(this.held)
    this.held = []
    this.heldBytes = 0
    return bytes
  }

  private endBlock(end: Uint8Array, sink: FrameSink): void {
    const lines = this.blockLines
    this.blockLines = 0
    if (this.oversized) {
      this.oversized = false
      sink.oversized(end)
    } else if (this.held.length === 0) {
      sink.event(end, lines)
    } else {
      this.held.push(end)
      sink.event(this.releaseHeld(), lines)
    }
  }

  private keep(part: Uint8Array, sink: FrameSink): void {
    if (this.oversized) {
      sink.oversized(part)
    } else if (this.heldBytes + part.length > this.maxEventBytes) {
      // Give up on parsing this block rather than hold an unbounded amount of the client's bytes.
      this.oversized = true
      this.held.push(part)
      sink.oversized(this.releaseHeld())
    } else {
      this.held.push(part.slice())
      this.heldBytes += part.length
    }
  }
}
