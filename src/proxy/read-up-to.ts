import { concatBytes, NO_BYTES } from '../usage/bytes'

/** What `readUpTo` found: the whole body (it ended within the limit), or the rest of it to pipe (it did not). */
export type UpToResult = { whole: Uint8Array } | { rest: ReadableStream<Uint8Array> }


/**
 * Reads a body of unknown length until it ends or passes `limit` bytes. A body that ends within the limit comes back
 * whole (one native answer, as for a declared small length); a longer one comes back as a stream of the same bytes
 * (those already read, then the rest, pulled only as the client reads), so memory stays at about `limit`. So does a
 * body that goes quiet for `patienceMs`: from there it is piped, where the stream idle limit applies.
 *
 * @example
 * const r = await readUpTo(upstream.body!, 2 * 1024 * 1024)
 * if ('whole' in r) return new Response(r.whole)
 * return new Response(r.rest)
 */
export async function readUpTo(body: ReadableStream<Uint8Array>, limit: number, patienceMs = Infinity): Promise<UpToResult> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  let pending: ReturnType<typeof reader.read> | null = null
  for (;;) {
    const read = reader.read()
    const next = patienceMs === Infinity ? await read : await withPatience(read, patienceMs)
    if (next === null) {
      pending = read
      break
    }
    if (next.done) return { whole: concatBytes(chunks) }
    chunks.push(next.value)
    total += next.value.byteLength
    if (total > limit) break
  }
  let at = 0
  return {
    rest: new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (at < chunks.length) {
            controller.enqueue(chunks[at]!)
            chunks[at++] = NO_BYTES
            return
          }
          const read = pending ?? reader.read()
          pending = null
          const { done, value } = await read
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

/** The read's result, or null when it takes longer than `ms` (the read itself goes on). */
async function withPatience<T>(read: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([read, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))])
  } finally {
    clearTimeout(timer)
  }
}
