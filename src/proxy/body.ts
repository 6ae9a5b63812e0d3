/**
 * The request body, read up to a limit and a deadline. `tooLarge`: the limit was passed and reading stopped there;
 * `timedOut`: the whole body had not arrived by the deadline.
 */
export type BodyRead = { ok: true; bytes: Uint8Array | null } | { ok: false; tooLarge: true } | { ok: false; timedOut: true }

const TIMED_OUT = { ok: false, timedOut: true } as const
/** what the deadline resolves to */
const LATE: unique symbol = Symbol('late')

/**
 * Reads a request body without ever holding more than `limit` bytes: a declared `content-length` over the
 * limit is refused before anything is read, and a chunked body is cut as soon as it passes it. A body still
 * incomplete after `deadlineMs` is given up on (a client trickling a byte at a time would otherwise hold its
 * connection for as long as it likes); the caller answers and closes the connection.
 */
export async function readBodyWithLimit(req: Request, limit: number, deadlineMs: number): Promise<BodyRead> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) return { ok: false, tooLarge: true }
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<typeof LATE>((resolve) => (timer = setTimeout(resolve, deadlineMs, LATE)))
  try {
    if (declared !== null) {
      // A declared length within the limit: Bun enforces it, so one native read is safe (and cheaper than a stream).
      const reading = req.bytes()
      // Left behind at the deadline, it rejects when the connection closes: nobody is waiting for it then.
      reading.catch(() => {})
      const bytes = await Promise.race([reading, deadline])
      if (bytes === LATE) return TIMED_OUT
      return { ok: true, bytes: bytes.byteLength ? bytes : null }
    }
    if (!req.body) return { ok: true, bytes: null }
    return await readChunked(req.body.getReader() as ReadableStreamDefaultReader<Uint8Array>, limit, deadline)
  } finally {
    clearTimeout(timer)
  }
}

async function readChunked(reader: ReadableStreamDefaultReader<Uint8Array>, limit: number, deadline: Promise<typeof LATE>): Promise<BodyRead> {
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const next = await Promise.race([reader.read(), deadline])
    if (next === LATE) {
      reader.cancel().catch(() => {})
      return TIMED_OUT
    }
    const { done, value } = next
    if (done) break
    total += value.byteLength
    if (total > limit) {
      reader.cancel().catch(() => {})
      return { ok: false, tooLarge: true }
    }
    chunks.push(value)
  }
  if (total === 0) return { ok: true, bytes: null }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0] }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return { ok: true, bytes: out }
}

/** Parses a JSON object body; anything else (syntax error, an array, a string) is null. */
const decoder = new TextDecoder()

export function parseJsonObject(bytes: Uint8Array | null): Record<string, unknown> | null {
  if (!bytes) return null
  try {
    const v = JSON.parse(decoder.decode(bytes))
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null
  } catch {
    return null
  }
}
