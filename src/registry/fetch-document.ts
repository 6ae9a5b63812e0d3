import { VERSION } from '../version'
import { redactIn, redactUrl, registryUrlProblem } from './url'

/** What the server said about the document last accepted, sent back so that an unchanged one costs a 304. */
export interface Validators {
  etag: string | null
  lastModified: string | null
}

export type DocumentFetch =
  | { kind: 'unchanged' }
  | { kind: 'document'; text: string; validators: Validators }
  | { kind: 'failed'; reason: string }

export interface FetchDocumentOptions {
  /** validators of the document in force; null: ask unconditionally */
  validators: Validators | null
  allowPrivate: boolean
  /** the whole exchange, redirects and body included */
  timeoutMs: number
  maxBytes: number
  /** aborts the fetch (shutdown) */
  signal?: AbortSignal
}

const MAX_REDIRECTS = 5

/**
 * GETs a registry document with a conditional request. Never throws: every failure is one plain reason that never
 * holds the URL's userinfo or query values. Redirects are followed by hand, only to the same scheme and to URLs the
 * setting itself would accept; credentials from the URL go to its own origin only.
 *
 * @example
 * const got = await fetchRegistryDocument(url, { validators, allowPrivate: false, timeoutMs: 10_000, maxBytes: 5 << 20 })
 * if (got.kind === 'document') parseRegistry(got.text, redactUrl(url))
 */
export async function fetchRegistryDocument(raw: string, options: FetchDocumentOptions): Promise<DocumentFetch> {
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(new Error('deadline')), options.timeoutMs)
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal
  try {
    return await exchange(raw, options, signal)
  } catch (error) {
    if (deadline.signal.aborted) return { kind: 'failed', reason: `no complete answer within ${formatMs(options.timeoutMs)}` }
    if (options.signal?.aborted) return { kind: 'failed', reason: 'stopped (Lectr is shutting down)' }
    const e = error as Error & { code?: string }
    // Bun's messages mostly start with the code already ("ECONNREFUSED: Unable to connect...").
    const message = e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message
    return { kind: 'failed', reason: redactIn(`cannot fetch: ${message}`, raw) }
  } finally {
    clearTimeout(timer)
  }
}

async function exchange(raw: string, options: FetchDocumentOptions, signal: AbortSignal): Promise<DocumentFetch> {
  const first = new URL(raw.trim())
  const auth = first.username || first.password
    ? `Basic ${Buffer.from(`${decodeURIComponent(first.username)}:${decodeURIComponent(first.password)}`).toString('base64')}`
    : null
  let url = withoutUserinfo(first)
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `lectr/${VERSION}` }
    if (auth && url.origin === first.origin) headers.authorization = auth
    if (options.validators?.etag) headers['if-none-match'] = options.validators.etag
    if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified
    const res = await fetch(url, { headers, redirect: 'manual', signal })
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      void res.body?.cancel().catch(() => {})
      const location = res.headers.get('location')
      if (!location) return failed(`HTTP ${res.status} without a Location`)
      const next = new URL(location, url)
      const problem = next.protocol !== first.protocol
        ? `redirected to another scheme (${redactUrl(next.href)}): not followed`
        : registryUrlProblem(next.href, options.allowPrivate)
      if (problem) return failed(problem.startsWith('redirected') ? problem : `redirected to a URL that is refused: ${problem}`)
      if (hop + 1 >= MAX_REDIRECTS) return failed(`more than ${MAX_REDIRECTS} redirects`)
      url = withoutUserinfo(next)
      continue
    }
    if (res.status === 304) {
      void res.body?.cancel().catch(() => {})
      if (!options.validators) return failed('HTTP 304 to a request that was not conditional')
      return { kind: 'unchanged' }
    }
    if (res.status < 200 || res.status > 299) {
      void res.body?.cancel().catch(() => {})
      return failed(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`)
    }
    const body = await readCapped(res, options.maxBytes)
    if (body === null) return failed(`the document is larger than ${formatBytes(options.maxBytes)}`)
    return {
      kind: 'document',
      text: body,
      validators: { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') },
    }
  }
}

/** The body as text, or null past `maxBytes` (stopping there: a huge or endless body is never held whole). */
async function readCapped(res: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    void res.body?.cancel().catch(() => {})
    return null
  }
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      void reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}

function withoutUserinfo(url: URL): URL {
  const copy = new URL(url.href)
  copy.username = ''
  copy.password = ''
  copy.hash = ''
  return copy
}

function failed(reason: string): DocumentFetch {
  return { kind: 'failed', reason }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`
}
