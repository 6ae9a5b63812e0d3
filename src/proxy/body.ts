/** The request body, read up to a limit. `tooLarge` means the limit was passed and reading stopped there. */
export type BodyRead = { ok: true; bytes: Uint8Array | null } | { ok: false; tooLarge: true }

/**
 * Reads a request body without ever holding more than `limit` bytes: a declared `content-length` over the
 * limit is refused before anything is read, and a chunked body is cut as soon as it passes it.
 */
export async function readBodyWithLimit(req: Request, limit: number): Promise<BodyRead> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) return { ok: false, tooLarge: true }
  if (declared !== null) {
    // A declared length within the limit: Bun enforces it, so one native read is safe (and cheaper than a stream).
    const bytes = await req.bytes()
    return { ok: true, bytes: bytes.byteLength ? bytes : null }
  }
  if (!req.body) return { ok: true, bytes: null }
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
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
