// The mock provider every variant is pointed at: a fixed chat.completion with usage, or (for "stream":true) an
// OpenAI-shaped event stream of 64 content deltas 20 ms apart, a finish chunk, a usage chunk when the request
// asked for it (stream_options.include_usage, as OpenAI does), and [DONE].
// Usage: bun bench/servers/mock.ts [port]   prints "mock listening on PORT"
const port = Number(process.argv[2] ?? 0)
const DELTAS = Number(process.env.MOCK_DELTAS ?? 64)
const GAP_MS = Number(process.env.MOCK_GAP_MS ?? 20)
const MODEL = 'gpt-4o-mini-2024-07-18'
const enc = new TextEncoder()

const answer = enc.encode(
  JSON.stringify({
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion',
    created: 1767225600,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'The capital of France is Paris. It has been the capital since the 10th century.', refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 42,
      completion_tokens: 18,
      total_tokens: 60,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  }),
)
const jsonHeaders = { 'content-type': 'application/json', 'x-request-id': 'req_bench', 'openai-processing-ms': '1' }

/** What every stream chunk starts with, as OpenAI sends it. */
const CHUNK = {
  id: 'chatcmpl-bench0000000000000000000000',
  object: 'chat.completion.chunk',
  created: 1767225600,
  model: MODEL,
  service_tier: 'default',
  system_fingerprint: 'fp_bench',
}
const frame = (c: Record<string, unknown>) => enc.encode(`data: ${JSON.stringify({ ...CHUNK, ...c })}\n\n`)

function chunk(delta: Record<string, unknown>, finish: string | null, withUsageField: boolean): Uint8Array {
  const choices = [{ index: 0, delta, logprobs: null, finish_reason: finish }]
  return frame(withUsageField ? { choices, usage: null } : { choices })
}
const frames = (usage: boolean) => {
  const out: Uint8Array[] = []
  for (let i = 0; i < DELTAS; i++) {
    const delta = i === 0 ? { role: 'assistant', content: 'tok0', refusal: null } : { content: ` tok${i}` }
    out.push(chunk(delta, null, usage))
  }
  return out
}
const withUsage = frames(true)
const withoutUsage = frames(false)
const finishWithUsage = chunk({}, 'stop', true)
const finishWithoutUsage = chunk({}, 'stop', false)
const usageFrame = frame({
  choices: [],
  usage: { prompt_tokens: 42, completion_tokens: DELTAS, total_tokens: 42 + DELTAS, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
})
const done = enc.encode('data: [DONE]\n\n')

function stream(usage: boolean): Response {
  const deltas = usage ? withUsage : withoutUsage
  return new Response(
    new ReadableStream({
      type: 'direct',
      async pull(controller: any) {
        for (let i = 0; i < deltas.length; i++) {
          if (i > 0) await Bun.sleep(GAP_MS)
          controller.write(deltas[i])
          if (i === deltas.length - 1) {
            controller.write(usage ? finishWithUsage : finishWithoutUsage)
            if (usage) controller.write(usageFrame)
            controller.write(done)
          }
          await controller.flush()
        }
        controller.close()
      },
    } as any),
    { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' } },
  )
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  idleTimeout: 0,
  async fetch(req) {
    if (req.method !== 'POST') return new Response('mock ok\n')
    const body = await req.text()
    if (body.includes('"stream":true')) return stream(body.includes('"include_usage":true'))
    return new Response(answer, { headers: jsonHeaders })
  },
})
console.log(`mock listening on ${server.port}`)
export {}
