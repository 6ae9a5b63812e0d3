import { concatBytes } from './bytes'

/**
 * Keeps an answer body as it passes, cheaply: chunks are kept by reference and joined once, at the end.
 * Past `maxBytes` it stops keeping the whole body and keeps only its first and last `edgeBytes`, so that a huge
 * answer (a large embeddings batch) costs bounded memory and still shows its `model` and trailing `usage`.
 *
 * @example
 * const body = new BodyKeeper(8 << 20, 64 << 10)
 * body.add(chunk)
 * body.whole() // the body, or null once it outgrew 8 MiB (then body.edges())
 */
export class BodyKeeper {
  private chunks: Uint8Array[] = []
  private keptBytes = 0
  private head: Uint8Array | null = null

  constructor(
    private readonly maxBytes: number,
    private readonly edgeBytes: number,
  ) {}

  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.keptBytes += chunk.length
    if (this.head === null) {
      if (this.keptBytes <= this.maxBytes) return
      this.head = this.firstBytes()
    }
    this.dropAllButTail()
  }

  /** The whole body, or null when it outgrew `maxBytes`. */
  whole(): Uint8Array | null {
    return this.head === null ? concatBytes(this.chunks) : null
  }

  /** The first and last `edgeBytes` (roughly: the tail may hold up to one chunk more) of a body that outgrew. */
  edges(): { head: Uint8Array; tail: Uint8Array } {
    return { head: this.head ?? this.firstBytes(), tail: concatBytes(this.chunks) }
  }

  private firstBytes(): Uint8Array {
    const pieces: Uint8Array[] = []
    let size = 0
    for (const chunk of this.chunks) {
      if (size >= this.edgeBytes) break
      const piece = chunk.subarray(0, this.edgeBytes - size)
      pieces.push(piece)
      size += piece.length
    }
    // A copy, so that the head does not pin the first chunks' buffers.
    return concatBytes(pieces).slice()
  }

  private dropAllButTail(): void {
    let drop = 0
    let remaining = this.keptBytes
    while (drop < this.chunks.length - 1 && remaining - this.chunks[drop]!.length >= this.edgeBytes) {
      remaining -= this.chunks[drop]!.length
      drop++
    }
    if (drop === 0) return
    this.chunks.splice(0, drop)
    this.keptBytes = remaining
  }
}
