import OpenAI from 'openai'
import { FakeUpstream, sse } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'

/** The key a client sends as its Azure key (`Authorization: Bearer` to Lectr, `api-key` to Azure). */
export const AZURE_KEY = 'azure-key-0123456789abcdef'

/** The official OpenAI SDK pointed at Lectr with `X-Lectr-Provider: azure`; no retries, so a test sees every answer once. */
export function azureClient(lectr: TestLectr, opts: { orgKey?: string; defaultQuery?: Record<string, string> } = {}): OpenAI {
  return new OpenAI({
    baseURL: `${lectr.url}/v1`,
    apiKey: AZURE_KEY,
    maxRetries: 0,
    defaultHeaders: { 'X-Lectr-Key': opts.orgKey ?? lectr.orgKey, 'X-Lectr-Provider': 'azure' },
    ...(opts.defaultQuery ? { defaultQuery: opts.defaultQuery } : {}),
  })
}

/** Saves the default org's Azure settings through the admin API. */
export async function putAzure(lectr: TestLectr, endpoint: string, apiVersion: string, org = 'default'): Promise<Response> {
  return lectr.api(`orgs/${org}/providers/azure`, { method: 'PUT', body: JSON.stringify({ endpoint, apiVersion }) })
}

/** A Lectr (private upstreams allowed) whose default org's Azure endpoint is `fake`, plain http on loopback. */
export async function startWithAzure(fake: FakeUpstream, apiVersion = '2024-10-21'): Promise<TestLectr> {
  const lectr = await startLectr(fake)
  const res = await putAzure(lectr, fake.origin, apiVersion)
  if (res.status !== 200) throw new Error(`PUT azure: ${res.status} ${await res.text()}`)
  return lectr
}

// ---- Azure's answers, as Azure writes them ----

export const FILTER_SAFE = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
}

/** The first chunk of every Azure chat stream: no choices, empty id and model, only the prompt's filter results. */
export const PROMPT_FILTER_CHUNK = {
  choices: [],
  created: 0,
  id: '',
  model: '',
  object: '',
  prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_SAFE }],
}

const chunk = (model: string, choices: unknown[], extra: Record<string, unknown> = {}) => ({
  choices,
  created: 1750000000,
  id: 'chatcmpl-AZ9xyz',
  model,
  object: 'chat.completion.chunk',
  system_fingerprint: 'fp_b705f0c291',
  ...extra,
})

/**
 * An Azure chat stream, as the classic API sends it with the asynchronous filter: the prompt-filter chunk, a role
 * chunk, content, a filter-only chunk (`content_filter_offsets`, no delta), the finish chunk, then (only when the
 * request asked for it) the usage chunk, then `[DONE]`. Returns the JSON chunks (for comparing with what an SDK
 * yields) and the Response.
 */
export function azureChatStream(opts: {
  model?: string
  usage?: Record<string, unknown> | null
  finishReason?: string
}): { chunks: Record<string, unknown>[]; usageChunk: Record<string, unknown> | null } {
  const model = opts.model ?? 'gpt-4o-2024-08-06'
  const chunks: Record<string, unknown>[] = [
    PROMPT_FILTER_CHUNK,
    chunk(model, [{ content_filter_results: {}, delta: { content: '', refusal: null, role: 'assistant' }, finish_reason: null, index: 0, logprobs: null }], { usage: null }),
    chunk(model, [{ content_filter_results: FILTER_SAFE, delta: { content: 'Bonjour' }, finish_reason: null, index: 0, logprobs: null }], { usage: null }),
    chunk(model, [{ content_filter_results: FILTER_SAFE, delta: { content: ' le monde' }, finish_reason: null, index: 0, logprobs: null }], { usage: null }),
    {
      choices: [{ content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 16 }, content_filter_results: FILTER_SAFE, finish_reason: null, index: 0 }],
      created: 0,
      id: '',
      model: '',
      object: '',
    },
    chunk(model, [{ content_filter_results: {}, delta: {}, finish_reason: opts.finishReason ?? 'stop', index: 0, logprobs: null }], { usage: null }),
  ]
  const usageChunk = opts.usage ? chunk(model, [], { usage: opts.usage }) : null
  return { chunks, usageChunk }
}

/**
 * A fake Azure script for chat streams that behaves like the real service: with `stream_options` at an API
 * version before `2024-09-01-preview` it answers 400 (as Azure does); with `include_usage` it appends the usage chunk.
 */
export function azureStreamScript(opts: { model?: string; usage: Record<string, unknown>; finishReason?: string }) {
  return (_req: Request, rec: { url: URL; body: string }) => {
    const body = JSON.parse(rec.body) as { stream_options?: { include_usage?: boolean } }
    const version = rec.url.searchParams.get('api-version') ?? 'v1'
    if (body.stream_options && version !== 'v1' && version < '2024-09-01') {
      return Response.json(
        { error: { code: 'BadRequest', message: 'stream_options: Extra inputs are not permitted', param: null, type: null } },
        { status: 400 },
      )
    }
    const { chunks, usageChunk } = azureChatStream({ model: opts.model, usage: opts.usage, finishReason: opts.finishReason })
    const events: unknown[] = [...chunks]
    if (body.stream_options?.include_usage && usageChunk) events.push(usageChunk)
    events.push('data: [DONE]\n\n')
    return sse(events)
  }
}

/** An Azure (non-streaming) chat completion, with its filter results. */
export function azureChatJson(opts: { model: string; usage: Record<string, unknown>; finishReason?: string; content?: string | null }): Response {
  return Response.json({
    choices: [
      {
        content_filter_results: opts.finishReason === 'content_filter' ? { ...FILTER_SAFE, violence: { filtered: true, severity: 'high' } } : FILTER_SAFE,
        finish_reason: opts.finishReason ?? 'stop',
        index: 0,
        logprobs: null,
        message: { content: opts.content === undefined ? 'Bonjour' : opts.content, refusal: null, role: 'assistant' },
      },
    ],
    created: 1750000000,
    id: 'chatcmpl-AZ9xyz',
    model: opts.model,
    object: 'chat.completion',
    prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_SAFE }],
    system_fingerprint: 'fp_b705f0c291',
    usage: opts.usage,
  })
}

/** The event of one request (its `X-Lectr-Request-Id`), once it is written. */
export async function eventOf(lectr: TestLectr, requestId: string | null | undefined): Promise<Record<string, any>> {
  if (!requestId) throw new Error('no X-Lectr-Request-Id on the answer')
  return eventually(() => lectr.events().find((e) => e.id === requestId))
}
