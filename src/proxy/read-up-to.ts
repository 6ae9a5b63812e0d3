import { concatBytes, NO_BYTES } from '../usage/bytes'

/** What `readUpTo` found: the whole body (it ended within the limit), or the rest of it to pipe (it did not). */
export type UpToResult = { whole: Uint8Array } | { rest: ReadableStream<Uint8Array> }

/**
 * Reads a body of unknown length until it ends or passes `limit` bytes. A body that ends within the limit comes back
 * whole (one native answer, as for a declared small length); a longer one comes back as a stream of the same bytes
 * (those already read, then the rest, pulled only as the client reads), so memory stays at about `limit`.
 *
 * @example
 * const r = await readUpTo(upstream.body!, 2 * 1024 * 1024)
 * if ('whole' in r) return new Response(r.whole)
 * return new Response(r.rest)
 */
export async function readUpTo(body: ReadableStream<Uint8Array>, limit: number): Promise<UpToResult> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { whole: concatBytes(chunks) }
    chunks.push(value)
    total += value.byteLength
    if (total > limit) break
  }
  let next = 0
  return {
    rest: new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (next < chunks.length) {
            controller.enqueue(chunks[next]!)
            chunks[next++] = NO_BYTES
            return
          }
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(value)
        },
        cancel(reason) {
          return reader.cancel(reason)
        },
      },
      // Pulled one chunk at a time, only as the client reads: the backpressure of metered-body.ts.
      { highWaterMark: 0 },
    ),
  }
}

