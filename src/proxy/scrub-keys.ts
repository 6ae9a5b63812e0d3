/** What a provider key in a stored string is replaced with. */
export const REDACTED = '[redacted]'

/**
 * The shortest piece of the client's own key that is redacted wherever it shows up. Long enough that a piece is
 * never an ordinary word of a model id or error code by chance (a provider key is random), short enough that a
 * key an upstream cut, masked in part or split is still caught. Keys shorter than this are not looked for at all:
 * no provider issues one, and redacting every 3-letter match would mangle model ids.
 */
const MIN_PIECE = 8

/**
 * Strings shaped like a provider key, whoever's key it is. Each starts at a word boundary (`desk-…` is no `sk-`).
 * - OpenAI `sk-…`, `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…` and Anthropic `sk-ant-api03-…`: `sk-` and 20 more;
 * - Groq `gsk_…`;
 * - Google `AIza` and 35 more (39 in all);
 * - Azure: 32 hex digits (or more: a hex run that long is never a model id);
 * - any other `prefix-`/`prefix_` (xAI `xai-`, Hugging Face `hf_`, Perplexity `pplx-`, Replicate `r8_`, …) followed
 *   by 24+ letters and digits without a separator that mix upper case, lower case and digits: random, where model
 *   ids (`gpt-4o-mini-realtime-preview-2024-12-17`, `deepseek-r1-0528-Qwen3-8B`) are words cut by separators.
 */
const KEY_SHAPED = new RegExp(
  [
    String.raw`sk-[A-Za-z0-9_-]{20,}`,
    String.raw`gsk_[A-Za-z0-9]{20,}`,
    String.raw`AIza[A-Za-z0-9_-]{35}`,
    String.raw`[0-9a-fA-F]{32,}`,
    String.raw`[a-z][a-z0-9]{1,11}[-_](?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[a-z])[A-Za-z0-9]{24,}`,
  ]
    .map((shape) => `(?<![A-Za-z0-9])(?:${shape})`)
    .join('|'),
  'g',
)

/**
 * `text` with every provider key in it replaced by `[redacted]`: any run of 8 or more characters that is part of one
 * of the client's own `keys` (so a key cut short or wrapped in other text is caught too), and anything shaped like
 * a provider key (see `KEY_SHAPED`). Adjacent redactions merge into one marker. For strings an upstream answer
 * sent (model, error code) that are stored in events; null stays null.
 *
 * @example scrubKeys('gpt-4o', ['sk-abc']) // 'gpt-4o'
 * @example scrubKeys('my-client-key-0123456789', ['my-client-key-0123456789']) // '[redacted]'
 * @example scrubKeys('bad key: client-key-01', ['my-client-key-0123456789']) // 'bad key: [redacted]'
 * @example scrubKeys('sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-yz_0123AA', []) // '[redacted]'
 * @example scrubKeys('AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', []) // '[redacted]'
 * @example scrubKeys('gpt-4o-mini-2024-07-18', []) // 'gpt-4o-mini-2024-07-18'
 */
export function scrubKeys(text: string, keys: readonly string[]): string
export function scrubKeys(text: string | null, keys: readonly string[]): string | null
export function scrubKeys(text: string | null, keys: readonly string[]): string | null {
  if (text === null || text.length < MIN_PIECE) return text
  let redact: Uint8Array | null = null
  const mark = (from: number, to: number) => {
    redact ??= new Uint8Array(text.length)
    redact.fill(1, from, to)
  }
  for (const key of keys) {
    if (key.length < MIN_PIECE) continue
    for (let i = 0; i + MIN_PIECE <= text.length; i++) {
      if (key.includes(text.slice(i, i + MIN_PIECE))) mark(i, i + MIN_PIECE)
    }
  }
  for (const match of text.matchAll(KEY_SHAPED)) mark(match.index, match.index + match[0].length)
  return redact ? withRedactions(text, redact) : text
}

function withRedactions(text: string, redact: Uint8Array): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    if (!redact[i]) {
      out += text[i++]
      continue
    }
    out += REDACTED
    while (i < text.length && redact[i]) i++
  }
  return out
}

/** The headers a client may carry a provider key in (`authorization` whatever its scheme; the others as they are). */
export const CLIENT_KEY_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'] as const

/**
 * The provider keys a client sent, wherever it put them: `Authorization` (whatever its scheme), `x-api-key`
 * (Anthropic), `api-key` (Azure), `x-goog-api-key` and `?key=` (Google). Only read, and only to scrub them from
 * what an upstream answered (see `scrubKeys`); the strings live as long as the request.
 *
 * @example clientKeys(new Headers({ authorization: 'Bearer sk-1' }), '?key=AIza1') // ['sk-1', 'AIza1']
 */
export function clientKeys(headers: Headers, search: string): string[] {
  const keys: string[] = []
  const authorization = headers.get('authorization')
  if (authorization) {
    const space = authorization.indexOf(' ')
    keys.push(space < 0 ? authorization : authorization.slice(space + 1).trim())
  }
  // `authorization` is read above, without its scheme
  for (const name of CLIENT_KEY_HEADERS.slice(1)) {
    const value = headers.get(name)
    if (value) keys.push(value)
  }
  if (search.includes('key=')) {
    for (const [name, value] of new URLSearchParams(search)) if (value && /key/i.test(name)) keys.push(value)
  }
  return keys
}
