import type { Usage } from '../domain'
import { asObject } from './read'

/**
 * The usage fields of Anthropic's Messages API, each as last reported. `input` excludes both cache counters there;
 * Lectr's `Usage` includes them (see `anthropicUsage`).
 */
export interface AnthropicUsageFields {
  input?: number
  output?: number
  cacheRead?: number
  cacheCreation?: number
  write5m?: number
  write1h?: number
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined
}

/**
 * Takes in one Anthropic `usage` object: every field it carries replaces the one seen before, and fields it leaves
 * out (or sends as null) keep theirs. `message_delta.usage` is cumulative and may repeat `message_start`'s fields:
 * the latest value counts, never a sum. Returns whether the object held any token count.
 *
 * @example
 * const f = {}
 * mergeAnthropicUsage(f, { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 1 })
 * mergeAnthropicUsage(f, { output_tokens: 30, cache_read_input_tokens: 5 })
 * f // { input: 10, cacheRead: 5, output: 30 }
 */
export function mergeAnthropicUsage(into: AnthropicUsageFields, value: unknown): boolean {
  const usage = asObject(value)
  if (!usage) return false
  const split = asObject(usage.cache_creation)
  const seen: AnthropicUsageFields = {
    input: tokenCount(usage.input_tokens),
    output: tokenCount(usage.output_tokens),
    cacheRead: tokenCount(usage.cache_read_input_tokens),
    cacheCreation: tokenCount(usage.cache_creation_input_tokens),
    write5m: tokenCount(split?.ephemeral_5m_input_tokens),
    write1h: tokenCount(split?.ephemeral_1h_input_tokens),
  }
  let any = false
  for (const key of Object.keys(seen) as (keyof AnthropicUsageFields)[]) {
    const n = seen[key]
    if (n === undefined) continue
    into[key] = n
    any = true
  }
  return any
}

/**
 * Lectr's usage from Anthropic's fields: `inputTokens = input + cache reads + cache writes`, cache reads as
 * `cachedInputTokens`, 1-hour writes as `cacheWrite1hTokens` and every other write (5-minute ones, and writes
 * without a split) as `cacheWriteTokens`. Null when no input or output count was seen.
 *
 * @example anthropicUsage({ input: 10, cacheRead: 100, cacheCreation: 50, write5m: 20, write1h: 30, output: 7 })
 * // { inputTokens: 160, cachedInputTokens: 100, cacheWriteTokens: 20, cacheWrite1hTokens: 30, outputTokens: 7, reasoningTokens: 0 }
 */
export function anthropicUsage(f: AnthropicUsageFields): Usage | null {
  if (f.input === undefined && f.output === undefined && f.cacheRead === undefined && f.cacheCreation === undefined) return null
  const cacheRead = f.cacheRead ?? 0
  const split = (f.write5m ?? 0) + (f.write1h ?? 0)
  // The split, when sent, adds up to the total; a total larger than the split is unsplit writes (5-minute prices).
  const creation = Math.max(f.cacheCreation ?? 0, split)
  const write1h = f.write1h ?? 0
  return {
    inputTokens: (f.input ?? 0) + cacheRead + creation,
    cachedInputTokens: cacheRead,
    cacheWriteTokens: creation - write1h,
    cacheWrite1hTokens: write1h,
    outputTokens: f.output ?? 0,
    // Anthropic bills extended thinking as output and does not count it apart.
    reasoningTokens: 0,
  }
}

/**
 * The usage a Messages API stream event carries: `message_start`'s `message.usage`, or `usage` (`message_delta`).
 * @example anthropicEventUsage({ type: 'message_start', message: { usage: { input_tokens: 3 } } }) // { input_tokens: 3 }
 */
export function anthropicEventUsage(event: unknown): unknown {
  const obj = asObject(event)
  if (!obj) return null
  return obj.usage ?? asObject(obj.message)?.usage ?? null
}

/** Whether a stream event is the `message_delta` that carries the final (cumulative) usage. */
export function isMessageDelta(event: unknown): boolean {
  return asObject(event)?.type === 'message_delta'
}
