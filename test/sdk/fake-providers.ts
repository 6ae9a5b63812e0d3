/**
 * Fake providers that answer the way `reference/providers.md` describes each one: what they put in their bodies,
 * when they report usage in streams, and how. A script records exactly what it sent (`Sent`), so a test can
 * compare Lectr's event with it and the client's bytes with the provider's.
 */
import type { Received, Script } from '../helpers/fake-upstream'

export type Kind = 'openai' | 'anthropic' | 'groq' | 'gemini' | 'azure'

/** Token counts a fake reports, in the provider's own terms. */
export interface Tokens {
  prompt: number
  completion: number
  cached?: number
  reasoning?: number
  /** when set, `total_tokens` (Gemini's thinking makes it exceed prompt + completion) */
  total?: number
}

/** What the fake answered, for the test to compare against. */
export interface Sent {
  kind: Kind
  path: string
  /** the request body as the fake received it */
  requestBody: Record<string, unknown>
  stream: boolean
  /** the SSE blocks, exactly as written (each ends with a blank line) */
  blocks: string[]
  /** index in `blocks` of the usage-only chunk (`choices: []` and a usage), or null */
  usageOnlyBlock: number | null
  /** the JSON body of a non-streaming answer */
  json: unknown
  model: string
  tokens: Tokens | null
}

export interface ProviderPlan {
  kind: Kind
  /** the model the provider names in its answer (default: the requested one) */
  model?: string
  tokens: Tokens
  /** content pieces of a chat stream (default: three short ones) */
  pieces?: string[]
  /** write every SSE block in pieces (see `sseBody`) */
  fragment?: boolean
}

const PIECES = ['Hel', 'lo, ', 'wörld 👋']

function chatUsage(kind: Kind, t: Tokens): Record<string, unknown> {
  const base: Record<string, unknown> = {
    prompt_tokens: t.prompt,
    completion_tokens: t.completion,
    total_tokens: t.total ?? t.prompt + t.completion,
  }
  if (kind === 'openai' || kind === 'azure') {
    base.prompt_tokens_details = { cached_tokens: t.cached ?? 0, audio_tokens: 0 }
    base.completion_tokens_details = {
      reasoning_tokens: t.reasoning ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    }
  }
  if (kind === 'anthropic') {
    // the compatibility layer's details objects are always empty
    base.prompt_tokens_details = {}
    base.completion_tokens_details = {}
  }
  return base
}

function groqUsage(t: Tokens): Record<string, unknown> {
  return {
    queue_time: 0.0123,
    prompt_tokens: t.prompt,
    prompt_time: 0.0041,
    completion_tokens: t.completion,
    completion_time: 0.0532,
    total_tokens: t.prompt + t.completion,
    total_time: 0.0573,
  }
}

function responsesUsage(t: Tokens): Record<string, unknown> {
  return {
    input_tokens: t.prompt,
    input_tokens_details: { cached_tokens: t.cached ?? 0 },
    output_tokens: t.completion,
    output_tokens_details: { reasoning_tokens: t.reasoning ?? 0 },
    total_tokens: t.prompt + t.completion,
  }
}

const enc = new TextEncoder()

/**
 * A streamed body of pre-built SSE blocks, optionally paced; `fragment` writes each block in three pieces
 * (cut inside the JSON and between the two line feeds), each its own network write.
 */
export function sseBody(blocks: string[], delayMs = 0, fragment = false): Response {
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for (const b of blocks) {
          if (delayMs) await Bun.sleep(delayMs)
          if (!fragment) {
            controller.enqueue(enc.encode(b))
            continue
          }
          const bytes = enc.encode(b)
          const cuts = [0, Math.floor(bytes.length / 2), bytes.length - 1, bytes.length]
          for (let i = 0; i < 3; i++) {
            controller.enqueue(bytes.slice(cuts[i], cuts[i + 1]))
            await Bun.sleep(1)
          }
        }
        controller.close()
      } catch {
        // the reader went away
      }
    },
  })
  return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } })
}

const dataBlock = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`
const typedBlock = (type: string, payload: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`

function wantsUsage(body: Record<string, unknown>): boolean {
  const o = body.stream_options as Record<string, unknown> | null | undefined
  return !!o && typeof o === 'object' && o.include_usage === true
}

/** Which endpoint a fake was called for, whatever the provider's base path. */
function endpointOf(path: string): 'chat' | 'completions' | 'embeddings' | 'responses' | 'other' {
  if (path.endsWith('/chat/completions')) return 'chat'
  if (path.endsWith('/completions')) return 'completions'
  if (path.endsWith('/embeddings')) return 'embeddings'
  if (path.endsWith('/responses')) return 'responses'
  return 'other'
}

function chatStream(kind: Kind, model: string, t: Tokens, pieces: string[], asked: boolean, azureFirst: boolean): { blocks: string[]; usageOnly: number | null } {
  const blocks: string[] = []
  const id = kind === 'groq' ? 'chatcmpl-groq-1' : 'chatcmpl-Bk1'
  const created = 1750000000
  // OpenAI and Azure put `usage: null` on every chunk once usage was asked for; Anthropic, too.
  const nullUsage = asked && (kind === 'openai' || kind === 'azure' || kind === 'anthropic')
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
    const c: Record<string, unknown> = { id, object: 'chat.completion.chunk', created, model, choices, ...extra }
    if (kind === 'openai') {
      c.service_tier = 'default'
      c.system_fingerprint = 'fp_9f2c'
      c.obfuscation = 'Qm2b'
    }
    if (nullUsage && !('usage' in c)) c.usage = null
    return c
  }
  if (azureFirst) {
    blocks.push(
      dataBlock({
        choices: [],
        created: 0,
        id: '',
        model: '',
        object: '',
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }],
      }),
    )
  }
  const filter = kind === 'azure' ? { content_filter_results: { hate: { filtered: false, severity: 'safe' } } } : {}
  let soFar = 0
  const geminiUsage = (done: boolean) => {
    // cumulative on every chunk; thinking only shows in the final total
    soFar = done ? t.completion : Math.min(t.completion, soFar + Math.ceil(t.completion / (pieces.length + 1)))
    return { prompt_tokens: t.prompt, completion_tokens: soFar, total_tokens: done ? (t.total ?? t.prompt + t.completion) : t.prompt + soFar }
  }
  blocks.push(
    dataBlock(
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null, ...filter }], {
        ...(kind === 'groq' ? { x_groq: { id: 'req_01' } } : {}),
        ...(kind === 'gemini' ? { usage: geminiUsage(false) } : {}),
      }),
    ),
  )
  for (const p of pieces) {
    blocks.push(
      dataBlock(
        chunk([{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null, ...filter }], kind === 'gemini' ? { usage: geminiUsage(false) } : {}),
      ),
    )
  }
  const finishExtra: Record<string, unknown> = {}
  if (kind === 'groq') finishExtra.x_groq = { id: 'req_01', usage: groqUsage(t) }
  if (kind === 'gemini') finishExtra.usage = geminiUsage(true)
  blocks.push(dataBlock(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop', ...filter }], finishExtra)))
  let usageOnly: number | null = null
  if (asked && kind !== 'gemini') {
    usageOnly = blocks.length
    blocks.push(dataBlock(chunk([], { usage: kind === 'groq' ? groqUsage(t) : chatUsage(kind, t), ...(kind === 'groq' ? { x_groq: { id: 'req_01' } } : {}) })))
  }
  blocks.push('data: [DONE]\n\n')
  return { blocks, usageOnly }
}

function completionsStream(model: string, t: Tokens, pieces: string[], asked: boolean): { blocks: string[]; usageOnly: number | null } {
  const blocks: string[] = []
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: 'cmpl-1',
    object: 'text_completion',
    created: 1750000000,
    model,
    choices,
    ...(asked ? { usage: null } : {}),
    ...extra,
  })
  for (const p of pieces) blocks.push(dataBlock(chunk([{ text: p, index: 0, logprobs: null, finish_reason: null }])))
  blocks.push(dataBlock(chunk([{ text: '', index: 0, logprobs: null, finish_reason: 'length' }])))
  let usageOnly: number | null = null
  if (asked) {
    usageOnly = blocks.length
    blocks.push(dataBlock(chunk([], { usage: chatUsage('openai', t) })))
  }
  blocks.push('data: [DONE]\n\n')
  return { blocks, usageOnly }
}

function responseObject(model: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'resp_1',
    object: 'response',
    created_at: 1750000000,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    model,
    output: [],
    parallel_tool_calls: true,
    temperature: 1,
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    usage: null,
    ...extra,
  }
}

function responsesOutput(text: string) {
  return [
    { id: 'rs_1', type: 'reasoning', summary: [] },
    { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] },
  ]
}

function responsesStream(model: string, t: Tokens, pieces: string[]): string[] {
  let seq = 0
  const text = pieces.join('')
  const blocks = [
    typedBlock('response.created', { sequence_number: seq++, response: responseObject(model, 'in_progress') }),
    typedBlock('response.in_progress', { sequence_number: seq++, response: responseObject(model, 'in_progress') }),
    typedBlock('response.output_item.added', {
      sequence_number: seq++,
      output_index: 1,
      item: { id: 'msg_1', type: 'message', status: 'in_progress', content: [], role: 'assistant' },
    }),
    typedBlock('response.content_part.added', {
      sequence_number: seq++,
      item_id: 'msg_1',
      output_index: 1,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    }),
  ]
  for (const p of pieces) {
    blocks.push(typedBlock('response.output_text.delta', { sequence_number: seq++, item_id: 'msg_1', output_index: 1, content_index: 0, delta: p }))
  }
  blocks.push(typedBlock('response.output_text.done', { sequence_number: seq++, item_id: 'msg_1', output_index: 1, content_index: 0, text }))
  blocks.push(
    typedBlock('response.completed', {
      sequence_number: seq++,
      response: responseObject(model, 'completed', { output: responsesOutput(text), usage: responsesUsage(t) }),
    }),
  )
  return blocks
}

function embeddingJson(model: string, t: Tokens, body: Record<string, unknown>) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input]
  const vector = [0.125, -0.5, 0.25]
  const embedding =
    body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector
  return {
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: t.prompt, total_tokens: t.prompt },
  }
}

/**
 * A script that answers every endpoint as provider `plan.kind` would, and pushes what it sent onto `log`.
 */
export function providerScript(plan: ProviderPlan, log: Sent[]): Script {
  return (_req: Request, rec: Received) => {
    const body = JSON.parse(rec.body || '{}') as Record<string, unknown>
    const kind = plan.kind
    const model = plan.model ?? String(body.model)
    const t = plan.tokens
    const pieces = plan.pieces ?? PIECES
    const stream = body.stream === true
    const ep = endpointOf(rec.url.pathname)
    const sent: Sent = { kind, path: rec.url.pathname, requestBody: body, stream, blocks: [], usageOnlyBlock: null, json: null, model, tokens: t }
    log.push(sent)
    const asked = wantsUsage(body)

    if (ep === 'embeddings') {
      sent.json = embeddingJson(model, t, body)
      return Response.json(sent.json)
    }
    if (ep === 'responses') {
      if (stream) {
        sent.blocks = responsesStream(model, t, pieces)
        return sseBody(sent.blocks, 0, plan.fragment)
      }
      sent.json = responseObject(model, 'completed', { output: responsesOutput(pieces.join('')), usage: responsesUsage(t) })
      return Response.json(sent.json)
    }
    if (ep === 'completions') {
      if (stream) {
        const s = completionsStream(model, t, pieces, asked)
        sent.blocks = s.blocks
        sent.usageOnlyBlock = s.usageOnly
        return sseBody(sent.blocks, 0, plan.fragment)
      }
      sent.json = {
        id: 'cmpl-1',
        object: 'text_completion',
        created: 1750000000,
        model,
        choices: [{ text: pieces.join(''), index: 0, logprobs: null, finish_reason: 'length' }],
        usage: chatUsage('openai', t),
      }
      return Response.json(sent.json)
    }
    // chat completions
    if (stream) {
      // Azure before 2024-09-01-preview refuses stream_options: a 400, as the reference says.
      const apiVersion = rec.url.searchParams.get('api-version')
      if (kind === 'azure' && apiVersion && apiVersion < '2024-09-01' && body.stream_options !== undefined) {
        return Response.json({ error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: null, code: null } }, { status: 400 })
      }
      const s = chatStream(kind, model, t, pieces, asked, kind === 'azure')
      sent.blocks = s.blocks
      sent.usageOnlyBlock = s.usageOnly
      return sseBody(sent.blocks, 0, plan.fragment)
    }
    const message = { role: 'assistant', content: pieces.join(''), refusal: null, annotations: [] }
    const answer: Record<string, unknown> = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1750000000,
      model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
      usage: kind === 'groq' ? { ...groqUsage(t) } : chatUsage(kind, t),
    }
    if (kind === 'groq') answer.x_groq = { id: 'req_01' }
    if (kind === 'openai') answer.service_tier = 'default'
    if (kind === 'azure') answer.prompt_filter_results = [{ prompt_index: 0, content_filter_results: {} }]
    sent.json = answer
    return Response.json(answer)
  }
}

/** Prices from `reference/prices.md` (USD per 1M tokens), typed in by hand: the test's own source of truth. */
export const PRICES: Record<string, { input: number; cached: number | null; output: number }> = {
  'gpt-4o': { input: 2.5, cached: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cached: 0.075, output: 0.6 },
  'gpt-4.1': { input: 2, cached: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cached: 0.275, output: 4.4 },
  'claude-sonnet-4-5-20250929': { input: 3, cached: 0.3, output: 15 },
  'llama-3.1-8b-instant': { input: 0.05, cached: null, output: 0.08 },
  'gemini-2.5-flash': { input: 0.3, cached: 0.03, output: 2.5 },
  // not in prices.md: OpenAI's published embedding price, as the built-in registry has it
  'text-embedding-3-small': { input: 0.02, cached: null, output: 0 },
}

/** `(input - cached) * input + cached * cachedInput + output * output`, per 1M tokens; "–" charges cached at input. */
export function expectedCost(priceId: string, input: number, cached: number, output: number): number {
  const p = PRICES[priceId]
  if (!p) throw new Error(`no price typed in for ${priceId}`)
  return ((input - cached) * p.input + cached * (p.cached ?? p.input) + output * p.output) / 1_000_000
}
