import type { Server } from 'bun'

export interface Received {
  method: string
  url: URL
  headers: Headers
  body: string
}

export type Script = (req: Request, received: Received) => Response | Promise<Response>

/**
 * A fake provider on 127.0.0.1, port 0. It records every request it receives (method, URL, headers, body) and
 * answers with `script`, which a test can swap at any time. Built-in scripts below stream, stall, fail and echo.
 */
export class FakeUpstream {
  readonly received: Received[] = []
  script: Script = () => chatJson()
  /** requests whose body stream was cancelled by Lectr (client left, timeout) */
  aborted = 0
  private server: Server<unknown>

  constructor() {
    this.server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      idleTimeout: 0,
      fetch: async (req) => {
        const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text()
        const rec: Received = { method: req.method, url: new URL(req.url), headers: req.headers, body }
        this.received.push(rec)
        req.signal.addEventListener('abort', () => this.aborted++)
        return this.script(req, rec)
      },
    })
  }

  /** The base URL a provider override points at: `http://127.0.0.1:PORT/v1`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.server.port}/v1`
  }
  get origin(): string {
    return `http://127.0.0.1:${this.server.port}`
  }
  get last(): Received {
    return this.received[this.received.length - 1]
  }
  stop() {
    this.server.stop(true)
  }
}

export function chatJson(opts: { model?: string; usage?: Record<string, unknown>; status?: number } = {}): Response {
  return Response.json(
    {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: opts.model ?? 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
      usage: opts.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    },
    { status: opts.status ?? 200 },
  )
}

/** An SSE body from a list of events: each item is written as `data: <json>\n\n` (strings as they are), with an optional delay before each. */
export function sse(events: (unknown | string)[], opts: { delayMs?: number; gapAfter?: Record<number, number>; headers?: Record<string, string> } = {}): Response {
  const enc = new TextEncoder()
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        for (let i = 0; i < events.length; i++) {
          if (opts.delayMs) await Bun.sleep(opts.delayMs)
          if (opts.gapAfter?.[i - 1]) await Bun.sleep(opts.gapAfter[i - 1])
          const e = events[i]
          controller.enqueue(enc.encode(typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`))
        }
        controller.close()
      } catch {
        // the reader went away
      }
    },
  })
  return new Response(stream, { headers: { 'content-type': 'text/event-stream', ...opts.headers } })
}

/** An OpenAI chat stream: `n` content chunks, then (when `usage`) the usage-only chunk, then [DONE]. */
export function openaiChatStream(n: number, usage: Record<string, unknown> | null, model = 'gpt-4o-2024-08-06'): unknown[] {
  const chunks: unknown[] = []
  for (let i = 0; i < n; i++) {
    chunks.push({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content: `tok${i} ` }, finish_reason: null }] })
  }
  chunks.push({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
  if (usage) chunks.push({ id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [], usage })
  chunks.push('data: [DONE]\n\n')
  return chunks
}
