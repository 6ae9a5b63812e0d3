/**
 * Token counts as Lectr records them (OpenTelemetry's convention). `inputTokens` includes every input token: cache
 * reads (`cachedInputTokens`) and cache writes (`cacheWriteTokens`, `cacheWrite1hTokens`); `outputTokens` includes
 * reasoning tokens.
 */
export interface Usage {
  inputTokens: number
  cachedInputTokens: number
  /** input tokens written to a cache: Anthropic's 5-minute writes, and writes it did not split by duration */
  cacheWriteTokens: number
  /** input tokens written to Anthropic's 1-hour cache */
  cacheWrite1hTokens: number
  outputTokens: number
  reasoningTokens: number
}

export type Endpoint =
  | 'chat/completions'
  | 'completions'
  | 'embeddings'
  | 'responses'
  | 'messages'
  | 'messages/count_tokens'
  | 'other'

/** Anthropic's native Messages API (`/v1/messages`, `/v1/messages/count_tokens`): always Anthropic, its own usage shape. */
export function isMessagesEndpoint(endpoint: Endpoint): boolean {
  return endpoint === 'messages' || endpoint === 'messages/count_tokens'
}

/** What a meter learned from an upstream answer body. */
export interface MeterResult {
  /** null when the provider never sent its totals and there was nothing to estimate them from (see `estimated`). */
  usage: Usage | null
  /**
   * true when a stream ended (normally or cut off) without its totals and `usage` holds an estimate: the last
   * running total (Gemini, cut off), or else input estimated from the request's size and output from the generated
   * text at 4 characters per token. See `createSseMeter`.
   */
  estimated: boolean
  /** the model the provider named in its answer */
  responseModel: string | null
  /** an error code the provider sent in the body (`error.code` / `error.type` / Google's `error.status`), including mid-stream errors */
  errorCode: string | null
}

/**
 * Watches an upstream answer body as it passes through.
 * `push` returns the bytes to forward to the client (the same chunk unless something is removed);
 * `finish` is called once when the body ended or was cut off.
 */
export interface Meter {
  push(chunk: Uint8Array): Uint8Array
  /** bytes held back at the end of the body (a trailing partial event), to forward before closing */
  flush(): Uint8Array | null
  finish(complete: boolean): MeterResult
  /**
   * Whether the body pushed so far held the stream's terminal event (`data: [DONE]`, `message_stop`,
   * `response.completed`): a client that leaves after receiving it has had the whole answer. Event streams only.
   */
  sawTerminalEvent?(): boolean
}
