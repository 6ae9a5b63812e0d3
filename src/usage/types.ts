/** Token counts as Lectr records them. `inputTokens` includes cached tokens; `outputTokens` includes reasoning tokens. */
export interface Usage {
  inputTokens: number
  cachedInputTokens: number
  outputTokens: number
  reasoningTokens: number
}

export type Endpoint = 'chat/completions' | 'completions' | 'embeddings' | 'responses' | 'other'

/** What a meter learned from an upstream answer body. */
export interface MeterResult {
  /** null when the provider never sent its totals (see `estimated`). */
  usage: Usage | null
  /**
   * true when the stream was cut off before its totals and `usage` holds only what was seen so far: the last
   * running total (Gemini), or else output estimated from the generated text at 4 characters per token, with
   * input unknown (0). See `createSseMeter`.
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
