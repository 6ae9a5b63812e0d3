/**
 * Bytes of request body counted as one input token, for a stream that ended without the provider's totals.
 *
 * The body is only measured, never parsed again (the proxy reads `model` and `stream` from it and nothing else),
 * and no tokenizer is run: 4 is the usual characters-per-token rule of thumb for English, the same one output is
 * estimated with (`StreamUsageTracker`), and ASCII text is a byte a character. It errs high where it errs: the
 * body's JSON (keys, quotes, roles) counts too, and inline images or audio in base64 weigh far more bytes than the
 * tokens they are billed as; text in non-Latin scripts (2-3 bytes a character in UTF-8) comes out somewhat low.
 * A spend report that over-counts an unknown is safer than one that shows nothing: the event says `usageEstimated`.
 */
const BYTES_PER_INPUT_TOKEN = 4

/**
 * The input tokens of a request estimated from its body's size in bytes (see `BYTES_PER_INPUT_TOKEN`).
 * @example estimateInputTokens(402) // 101
 * @example estimateInputTokens(0)   // 0
 */
export function estimateInputTokens(requestBytes: number): number {
  return Math.ceil(requestBytes / BYTES_PER_INPUT_TOKEN)
}
