import type { Endpoint, Usage } from '../domain'

type JsonObject = Record<string, unknown>

/** Upstream strings land in the event log; anything longer than this is not a real model id or error code. */
const MAX_LABEL_CHARS = 200
/** A string `error` is used as the code only when it looks like one, never a free-text message. */
const CODE_LIKE = /^[A-Za-z0-9_.:-]{1,64}$/
/** Gemini may wrap its error in an array; only the first few elements are looked at. */
const MAX_ARRAY_ELEMENTS = 4

export function asObject(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null
}

/** A token count as the provider sent it, or undefined when absent or not a count. */
function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined
}

/** Whether a provider put something in an `error` field: `null`, `false` and `""` mean no error. */
function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== ''
}

function label(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_LABEL_CHARS) : null
}

/**
 * `JSON.parse` that answers `undefined` instead of throwing.
 * @example parseJsonSafely('{"a":1}') // { a: 1 }
 * @example parseJsonSafely('{"a":')   // undefined
 */
export function parseJsonSafely(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Reads one `usage` object in either shape: chat/completions/embeddings (`prompt_tokens`, `completion_tokens`,
 * `*_details`) or Responses (`input_tokens`, `output_tokens`, `*_details`). Null when it holds no token count.
 *
 * Tokens that `total_tokens` counts beyond input + output are taken as hidden reasoning and added to output and
 * reasoning: Gemini's compatibility layer bills thinking as output but may leave it out of `completion_tokens`.
 * Providers that keep `total = input + output` (all the others) are unaffected.
 *
 * @example readUsageFields({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 })
 * // { inputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 5, reasoningTokens: 0 }
 */
export function readUsageFields(value: unknown): Usage | null {
  const usage = asObject(value)
  if (!usage) return null
  const chatShape = tokenCount(usage.prompt_tokens) !== undefined || tokenCount(usage.completion_tokens) !== undefined
  const input = tokenCount(chatShape ? usage.prompt_tokens : usage.input_tokens)
  const output = tokenCount(chatShape ? usage.completion_tokens : usage.output_tokens)
  if (input === undefined && output === undefined) return null

  const inputTokens = input ?? 0
  const visibleOutput = output ?? 0
  const total = tokenCount(usage.total_tokens)
  const hidden = total === undefined ? 0 : Math.max(0, total - inputTokens - visibleOutput)
  const outputTokens = visibleOutput + hidden
  const inputDetails = asObject(chatShape ? usage.prompt_tokens_details : usage.input_tokens_details)
  const outputDetails = asObject(chatShape ? usage.completion_tokens_details : usage.output_tokens_details)
  const cached = tokenCount(inputDetails?.cached_tokens) ?? 0
  const reasoning = tokenCount(outputDetails?.reasoning_tokens) ?? 0
  return {
    inputTokens,
    // Clamped so that a garbled detail can never make (input - cached) negative when pricing.
    cachedInputTokens: Math.min(cached, inputTokens),
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens,
    // When reasoning was reported separately from completion_tokens it equals the hidden part: count it once.
    reasoningTokens: Math.min(Math.max(reasoning, hidden), outputTokens),
  }
}

/**
 * The token usage of an answer body, a stream chunk or a Responses stream event: `usage`, else Groq's
 * `x_groq.usage`, else a Responses event's `response.usage`. Never throws; null when there is none.
 *
 * @example readUsage({ x_groq: { usage: { prompt_tokens: 40, completion_tokens: 12 } } })?.inputTokens // 40
 */
export function readUsage(body: unknown): Usage | null {
  const obj = asObject(body)
  if (!obj) return null
  return (
    readUsageFields(obj.usage) ??
    readUsageFields(asObject(obj.x_groq)?.usage) ??
    readUsageFields(asObject(obj.response)?.usage)
  )
}

/**
 * Embeddings produce no output, whatever a provider puts in `total_tokens`. Counting tokens
 * (`messages/count_tokens`) consumes none: the count it answers is not usage.
 * @example usageForEndpoint(usage, 'embeddings').outputTokens // 0
 */
export function usageForEndpoint(usage: Usage, endpoint: Endpoint): Usage {
  if (endpoint === 'messages/count_tokens') return NO_USAGE
  return endpoint === 'embeddings' ? { ...usage, outputTokens: 0, reasoningTokens: 0 } : usage
}

const NO_USAGE: Usage = Object.freeze({ inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0 })

/**
 * The model the provider named: `model`, else a Responses event's `response.model`, else an Anthropic
 * `message_start`'s `message.model`. Empty strings (Azure's first stream chunk) count as absent.
 * @example readModel({ type: 'response.created', response: { model: 'gpt-4.1' } }) // 'gpt-4.1'
 */
export function readModel(body: unknown): string | null {
  const obj = asObject(body)
  if (!obj) return null
  return label(obj.model) ?? label(asObject(obj.response)?.model) ?? label(asObject(obj.message)?.model)
}

/**
 * The error code in an answer body or stream event, or null when it reports no error. Understands
 * `{error: {code | type | status}}` (OpenAI, Azure, Google), the same wrapped in a JSON array (Gemini),
 * a Responses `error` event (`{type: "error", code}`) and a failed response (`response.error`).
 * A string code wins over `type`, which wins over Google's `status`, which wins over a numeric HTTP `code`;
 * an error with none of them is `"error"`.
 *
 * @example readErrorCode([{ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } }]) // 'INVALID_ARGUMENT'
 */
export function readErrorCode(body: unknown): string | null {
  if (!Array.isArray(body)) return objectErrorCode(body)
  for (const element of body.slice(0, MAX_ARRAY_ELEMENTS)) {
    const code = objectErrorCode(element)
    if (code) return code
  }
  return null
}

function objectErrorCode(body: unknown): string | null {
  const obj = asObject(body)
  if (!obj) return null
  if (isPresent(obj.error)) return errorValueCode(obj.error)
  if (obj.type === 'error') return codeOf(obj)
  const failed = asObject(obj.response)?.error
  return isPresent(failed) ? errorValueCode(failed) : null
}

function errorValueCode(error: unknown): string {
  const obj = asObject(error)
  if (obj) return codeOf(obj)
  return typeof error === 'string' && CODE_LIKE.test(error) ? error : 'error'
}

function codeOf(error: JsonObject): string {
  return (
    label(error.code) ??
    label(error.type) ??
    label(error.status) ??
    (typeof error.code === 'number' && Number.isFinite(error.code) ? String(error.code) : 'error')
  )
}

/**
 * The usage-only chunk that `stream_options.include_usage` adds: `choices` is an empty array and `usage` is set.
 * Azure's first chunk also has `choices: []`, but no usage, so it is not one.
 * @example isUsageOnlyChunk({ choices: [], usage: { prompt_tokens: 1 } }) // true
 */
export function isUsageOnlyChunk(chunk: unknown): boolean {
  const obj = asObject(chunk)
  return obj !== null && Array.isArray(obj.choices) && obj.choices.length === 0 && obj.usage != null
}

/**
 * Whether the usage on this stream event is the answer's final total rather than a running one: Gemini sends
 * cumulative usage on every chunk, and only the one on the finish chunk (or a usage-only chunk, Groq's
 * `x_groq`, a Responses terminal event) is the total.
 * @example hasFinalTotals({ choices: [{ delta: { content: 'a' }, finish_reason: null }], usage: {} }) // false
 */
export function hasFinalTotals(chunk: unknown): boolean {
  const obj = asObject(chunk)
  if (!obj) return false
  if (asObject(obj.x_groq)?.usage != null || asObject(obj.response)) return true
  if (!Array.isArray(obj.choices) || obj.choices.length === 0) return true
  return obj.choices.some((choice) => label(asObject(choice)?.finish_reason) !== null)
}
