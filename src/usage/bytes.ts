/** An empty body piece: `push` returns it when every byte of a chunk was held back or removed. */
export const NO_BYTES = new Uint8Array(0)

/**
 * The pieces joined into one array (the piece itself when there is one: no copy).
 * @example concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]) // Uint8Array [1, 2, 3]
 */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 0) return NO_BYTES
  if (pieces.length === 1) return pieces[0]!
  let length = 0
  for (const piece of pieces) length += piece.length
  const joined = new Uint8Array(length)
  let offset = 0
  for (const piece of pieces) {
    joined.set(piece, offset)
    offset += piece.length
  }
  return joined
}

/**
 * `next` appended to `previous` as one view when it directly follows it in the same buffer, else null.
 * Lets consecutive pieces of one chunk be forwarded without a copy.
 */
export function joinAdjacent(previous: Uint8Array, next: Uint8Array): Uint8Array | null {
  if (previous.buffer !== next.buffer || previous.byteOffset + previous.length !== next.byteOffset) return null
  return new Uint8Array(previous.buffer, previous.byteOffset, previous.length + next.length)
}
