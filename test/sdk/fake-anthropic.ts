/**
 * A fake of Anthropic's native Messages API (`/v1/messages`, `/v1/messages/count_tokens`) as its docs describe it:
 * `input_tokens` without the cache counters, `cache_creation` split into 5-minute and 1-hour writes, and in
 * streams `message_start` (input and cache counts, a placeholder output of 1) then `message_delta` events whose
 * usage is cumulative and may repeat (or null) any field.
 */
import type { Script } from '../helpers/fake-upstream'

export interface AnthropicTokens {
  input: number
  cacheRead: number
  write5m: number
  write1h: number
  output: number
}

export interface AnthropicPlan {
  /** the model named in the answer */
  model: string
  tokens: AnthropicTokens
  /** the text pieces of the answer */
  pieces?: string[]
  /** stop after the content deltas, before any message_delta, and break the connection */
  breakBeforeDelta?: boolean
}

/** What the fake sent, for a test to compare with what the client received. */
export interface AnthropicSent {
  path: string
  body: string
  stream: boolean
}

const enc = new TextEncoder()

function usageOf(t: AnthropicTokens): Record<string, unknown> {
  return {
    input_tokens: t.input,
    cache_creation_input_tokens: t.write5m + t.write1h,
    cache_read_input_tokens: t.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: t.write5m, ephemeral_1h_input_tokens: t.write1h },
    output_tokens: t.output,
    service_tier: 'standard',
  }
}

const block = (type: string, payload: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`

/** The SSE blocks of one streamed answer, exactly as written. */
export function messageStreamBlocks(plan: AnthropicPlan): string[] {
  const t = plan.tokens
  const pieces = plan.pieces ?? ['Hel', 'lo, ', 'wörld 👋']
  const blocks = [
    block('message_start', {
      message: {
        id: 'msg_01', type: 'message', role: 'assistant', content: [], model: plan.model, stop_reason: null, stop_sequence: null,
        usage: { ...usageOf(t), output_tokens: 1 },
      },
    }),
    block('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    block('ping', {}),
    ...pieces.map((text) => block('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
  ]
  if (plan.breakBeforeDelta) return blocks
  blocks.push(
    block('content_block_stop', { index: 0 }),
    // A running total first, with the input fields left out and one sent as null...
    block('message_delta', {
      delta: { stop_reason: null, stop_sequence: null },
      usage: { output_tokens: Math.max(1, t.output - 7), input_tokens: null },
    }),
    // ...then the final cumulative usage repeating every field: the latest value counts, never a sum.
    block('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: usageOf(t) }),
    block('message_stop', {}),
  )
  return blocks
}

/**
 * The fake's script: `/messages` answers JSON or SSE (per the request's `stream`), `/messages/count_tokens` a
 * count; anything else 404. Each answer is pushed to `sent`.
 */
export function anthropicScript(plan: AnthropicPlan, sent: AnthropicSent[], countTokens = 4321): Script {
  return (_req, received) => {
    const path = received.url.pathname
    const request = JSON.parse(received.body || '{}') as Record<string, unknown>
    if (path.endsWith('/messages/count_tokens')) {
      const body = JSON.stringify({ input_tokens: countTokens })
      sent.push({ path, body, stream: false })
      return new Response(body, { headers: { 'content-type': 'application/json', 'request-id': 'req_count' } })
    }
    if (!path.endsWith('/messages')) return Response.json({ type: 'error', error: { type: 'not_found_error', message: path } }, { status: 404 })
    if (request.stream !== true) {
      const body = JSON.stringify({
        id: 'msg_01', type: 'message', role: 'assistant', model: plan.model,
        content: [{ type: 'text', text: (plan.pieces ?? ['Hello!']).join('') }],
        stop_reason: 'end_turn', stop_sequence: null, usage: usageOf(plan.tokens),
      })
      sent.push({ path, body, stream: false })
      return new Response(body, { headers: { 'content-type': 'application/json', 'request-id': 'req_json' } })
    }
    const blocks = messageStreamBlocks(plan)
    sent.push({ path, body: blocks.join(''), stream: true })
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          for (const b of blocks) {
            controller.enqueue(enc.encode(b))
            await Bun.sleep(1)
          }
          if (plan.breakBeforeDelta) {
            // the blocks written so far reach Lectr first (an error at once may reset the socket before they flush)
            await Bun.sleep(30)
            controller.error(new Error('the fake provider broke the stream'))
          }
          else controller.close()
        } catch {
          // the reader went away
        }
      },
    })
    return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_stream' } })
  }
}
