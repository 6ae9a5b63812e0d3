import { anthropicEventUsage, anthropicUsage, isMessageDelta, mergeAnthropicUsage, type AnthropicUsageFields } from './anthropic-usage'
import { generatedChars, mayHaveValue } from './json-scan'
import {
  hasFinalTotals,
  isUsageOnlyChunk,
  parseJsonSafely,
  readErrorCode,
  readModel,
  readUsage,
  usageForEndpoint,
} from './read'
import type { SseEvent } from './sse-event'
import type { Endpoint, MeterResult, Usage } from '../domain'
import { isMessagesEndpoint } from './types'

/** Where an endpoint's stream events carry generated text: what a cut stream's output is estimated from. */
interface GeneratedText {
  containerKey: string
  /** the keys inside a container object whose string values are generated */
  valueKeys: readonly string[]
}
const CHAT_DELTA: GeneratedText = {
  containerKey: '"delta"',
  valueKeys: ['content', 'refusal', 'reasoning', 'reasoning_content', 'arguments'],
}
const GENERATED_TEXT: Record<Endpoint, GeneratedText | null> = {
  'chat/completions': CHAT_DELTA,
  completions: { containerKey: '"text"', valueKeys: [] },
  // Only the `*.delta` events, whose `delta` is a string: `*.done` and `response.completed` repeat the text.
  responses: { containerKey: '"delta"', valueKeys: [] },
  // content_block_delta's text_delta, input_json_delta and thinking_delta
  messages: { containerKey: '"delta"', valueKeys: ['text', 'partial_json', 'thinking'] },
  'messages/count_tokens': null,
  embeddings: null,
  other: CHAT_DELTA,
}

/** The usual rule of thumb for English text; a tokenizer per model is out of proportion for an estimate. */
const CHARS_PER_TOKEN = 4

/** Marks an event's data not parsed yet (`undefined` is what a failed parse gives). */
const UNPARSED = Symbol('unparsed')

/**
 * What a stream's events say about its usage, model and errors, gathered event by event.
 *
 * It parses JSON only when a cheap text check says an event can matter: the first event naming a model, events
 * mentioning an error, and (lazily, once, at the end) the last event carrying a usage, because only the last one
 * counts (Gemini's usage is cumulative; Groq's `x_groq.usage` and usage chunk repeat the same totals).
 */
export class StreamUsageTracker {
  private responseModel: string | null = null
  private errorCode: string | null = null
  private lastUsage: { data: string; parsed: unknown } | null = null
  private generatedCharCount = 0
  private sawDone = false
  private readonly generatedText: GeneratedText | null
  /**
   * Anthropic's Messages API spreads usage over `message_start` (input, cache) and `message_delta` (cumulative
   * output, may repeat the rest): every usage event is merged, field by field, instead of keeping the last one.
   */
  private readonly anthropic: { fields: AnthropicUsageFields; sawDelta: boolean } | null

  /** `inputTokensEstimate`: the request's input as estimated from its size (`estimateInputTokens`), 0 for none. */
  constructor(
    private readonly endpoint: Endpoint,
    private readonly inputTokensEstimate = 0,
  ) {
    this.generatedText = GENERATED_TEXT[endpoint]
    this.anthropic = isMessagesEndpoint(endpoint) ? { fields: {}, sawDelta: false } : null
  }

  /**
   * Takes in one event. With `wantStripVerdict`, answers whether it is the usage-only chunk (then parsed at once);
   * otherwise always false.
   */
  observe({ type, data }: SseEvent, wantStripVerdict: boolean): boolean {
    if (data === null) {
      if (type === 'error') this.errorCode ??= 'error'
      return false
    }
    if (data === '[DONE]') {
      this.sawDone = true
      return false
    }
    let parsed: unknown = UNPARSED
    const value = (): unknown => (parsed === UNPARSED ? (parsed = parseJsonSafely(data)) : parsed)

    if (this.responseModel === null && mayHaveValue(data, '"model"', true)) this.responseModel = readModel(value())
    if (this.errorCode === null && (type === 'error' || mayHaveValue(data, '"error"'))) {
      this.errorCode = readErrorCode(value()) ?? (type === 'error' ? 'error' : null)
    }
    if (this.anthropic) {
      if (mayHaveValue(data, '"usage"')) this.observeAnthropicUsage(value())
      else if (!this.anthropic.sawDelta && this.generatedText) {
        this.generatedCharCount += generatedChars(data, this.generatedText.containerKey, this.generatedText.valueKeys)
      }
      return false
    }
    if (!mayHaveValue(data, '"usage"')) {
      // Counting stops once a usage was seen: from then on the estimate is never used.
      if (this.lastUsage === null && this.generatedText) {
        this.generatedCharCount += generatedChars(data, this.generatedText.containerKey, this.generatedText.valueKeys)
      }
      return false
    }
    if (wantStripVerdict) value()
    this.lastUsage = { data, parsed }
    return wantStripVerdict && isUsageOnlyChunk(parsed)
  }

  /**
   * The result once the stream is over. `complete` is false when it was cut off (upstream failure, client gone).
   * See `createSseMeter` for how usage is estimated.
   */
  result(complete: boolean): MeterResult {
    const ended = complete || this.sawDone
    if (this.anthropic) return this.anthropicResult(ended)
    if (this.lastUsage) {
      const { data, parsed } = this.lastUsage
      const chunk = parsed === UNPARSED ? parseJsonSafely(data) : parsed
      const usage = readUsage(chunk)
      if (usage) {
        if (ended || hasFinalTotals(chunk)) return this.withUsage(usageForEndpoint(usage, this.endpoint), false)
        // A running total of a cut stream: the input the provider counted wins over the estimate; none is no count.
        const partial = usageForEndpoint(usage, this.endpoint)
        return this.withUsage(partial.inputTokens > 0 ? partial : { ...partial, inputTokens: this.inputTokensEstimate }, true)
      }
    }
    const estimate = this.estimate()
    return this.withUsage(estimate, estimate !== null)
  }

  /** Input from the request's size, output from the generated text seen; null when both are 0 (nothing known). */
  private estimate(): Usage | null {
    const outputTokens = this.outputEstimate()
    if (outputTokens === 0 && this.inputTokensEstimate === 0) return null
    return { inputTokens: this.inputTokensEstimate, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens, reasoningTokens: 0 }
  }

  private outputEstimate(): number {
    return Math.ceil(this.generatedCharCount / CHARS_PER_TOKEN)
  }

  private observeAnthropicUsage(event: unknown): void {
    if (mergeAnthropicUsage(this.anthropic!.fields, anthropicEventUsage(event)) && isMessageDelta(event)) this.anthropic!.sawDelta = true
  }

  /**
   * `message_start`'s output count is a placeholder (1): a stream cut before its `message_delta` keeps the input
   * and cache counts and estimates output from the text seen, whichever is larger. A stream with no usage at all is
   * estimated like any other (input from the request's size).
   */
  private anthropicResult(ended: boolean): MeterResult {
    const { fields, sawDelta } = this.anthropic!
    const usage = anthropicUsage(fields)
    if (!usage) {
      const estimate = this.estimate()
      return this.withUsage(estimate, estimate !== null)
    }
    if (ended || sawDelta) return this.withUsage(usageForEndpoint(usage, this.endpoint), false)
    return this.withUsage({ ...usage, outputTokens: Math.max(usage.outputTokens, this.outputEstimate()) }, true)
  }

  private withUsage(usage: Usage | null, estimated: boolean): MeterResult {
    return { usage, estimated, responseModel: this.responseModel, errorCode: this.errorCode }
  }
}
