// The proxy's own JavaScript cost per request, without HTTP: each source tree's `createProxyHandler`, in one process,
// is handed the request `make bench` sends and a stand-in for fetch that answers the mock's chat completion at once.
// The trees take turns in slices of N requests (order rotating), so drift cannot bias them; medians of the slices.
// What it leaves out (Bun's server, fetch's HTTP thread) is the same for every tree, so only the difference counts.
// Usage: bun bench/handler-ab.ts [slices=20] [perSlice=20000] name=SRC_ROOT[:on] ... (SRC_ROOT `floor`: the floor's handler)
//   `:on` records events through the metrics' observation (`observed`) into a writer stand-in that completes each
//   event at once; without it the event log is off (LECTR_EVENT_LOG=0).
import { resolve, join } from 'node:path'
import { CHAT_REQUEST } from './lib/lectr'
import { median } from './lib/proc'

const [slicesArg, perArg, ...specs] = process.argv.slice(2)
const SLICES = Number(slicesArg ?? 20)
const PER = Number(perArg ?? 20000)
const KEY = 'lectr_org_bench0123456789abcdefghijklmnopqrstuvwxyz'
const BODY = JSON.stringify(CHAT_REQUEST)
const ANSWER = new TextEncoder().encode(
  JSON.stringify({
    id: 'chatcmpl-bench', object: 'chat.completion', created: 1767225600, model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: 'The capital of France is Paris.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 42, completion_tokens: 18, total_tokens: 60, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
  }),
)
const stubFetch = (async () =>
  new Response(ANSWER, {
    headers: { 'content-type': 'application/json', 'content-length': String(ANSWER.byteLength), 'x-request-id': 'req_bench', 'openai-processing-ms': '1' },
  })) as unknown as typeof fetch

interface Tree { name: string; handle: (req: Request) => Promise<Response>; ns: number[]; events: number }

/** bench/servers/floor.ts's handler, on the same stand-in for fetch: what any Bun proxy hop costs here. */
function floorTree(name: string): Tree {
  const upstream = 'http://127.0.0.1:9'
  const handle = async (req: Request) => {
    const url = new URL(req.url)
    const res = await stubFetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer(),
    })
    return new Response(res.body, { status: res.status, headers: res.headers })
  }
  return { name, handle, ns: [], events: 0 }
}

async function load(spec: string): Promise<Tree> {
  const name = spec.slice(0, spec.indexOf('='))
  const [root, mode] = spec.slice(spec.indexOf('=') + 1).split(':')
  if (root === 'floor') return floorTree(name)
  const src = join(resolve(root!), 'src')
  const { createProxyHandler } = await import(join(src, 'proxy', 'handler.ts'))
  const { OrgsMemory } = await import(join(src, 'storage', 'orgs-in-force.ts'))
  const { RegistryStore } = await import(join(src, 'registry', 'store.ts'))
  const { parseConfig } = await import(join(src, 'config.ts'))
  const { hashSecret } = await import(join(src, 'auth', 'secrets.ts'))
  const { MetricsCollector } = await import(join(src, 'metrics', 'collector.ts'))
  const { observed } = await import(join(src, 'metrics', 'observe.ts'))
  const parsed = parseConfig([], { LECTR_OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' })
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  const orgs = new OrgsMemory()
  orgs.replace([{ orgId: 'default', keyId: 'k1', hash: hashSecret(KEY) }], new Map())
  const registry = new RegistryStore({})
  const tree: Tree = { name, handle: null!, ns: [], events: 0 }
  let record = null
  if (mode === 'on') {
    const metrics = new MetricsCollector({ version: 'bench', registry: () => registry.current() })
    record = observed((_e: unknown, complete?: () => void) => {
      tree.events++
      complete?.()
    }, metrics, null)
  }
  const handler = createProxyHandler({ config: parsed.config, orgs, registry, record, fetch: stubFetch, inflight: { add() {}, done() {}, closing: false } })
  tree.handle = (req) => handler(req, null)
  return tree
}

const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(BODY)), 'x-lectr-key': KEY, 'x-lectr-feature': 'bench', 'x-lectr-task': 'generation', authorization: 'Bearer sk-bench-provider-key', host: '127.0.0.1:8080', 'user-agent': 'wrk' }
const request = () => new Request('http://127.0.0.1:8080/v1/chat/completions', { method: 'POST', headers, body: BODY })

async function slice(t: Tree, n: number): Promise<number> {
  // CPU time (user + system, all threads: the collector's included), not wall time: the machine is shared.
  const t0 = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    const res = await t.handle(request())
    if (res.status !== 200) throw new Error(`${t.name}: ${res.status} ${await res.text()}`)
    await res.bytes()
    // Metering runs at the next turn (setImmediate), as after a real answer went out.
    if ((i & 63) === 63) await new Promise((r) => setImmediate(r))
  }
  await new Promise((r) => setImmediate(r))
  const used = process.cpuUsage(t0)
  return ((used.user + used.system) * 1000) / n
}

const trees: Tree[] = []
for (const s of specs) trees.push(await load(s))
for (const t of trees) await slice(t, PER)
for (let s = 0; s < SLICES; s++) {
  for (let i = 0; i < trees.length; i++) {
    const t = trees[(i + s) % trees.length]!
    t.ns.push(await slice(t, PER))
  }
}
const first = trees[0]!
console.log(`${SLICES} slices of ${PER} requests each; median CPU per request (and against ${first.name}, paired by slice)`)
for (const t of trees) {
  const diffs = t.ns.map((ns, i) => ns - first.ns[i]!)
  console.log(`${t.name.padEnd(12)} ${(median(t.ns) / 1000).toFixed(2).padStart(7)} us   ${t === first ? '' : `${median(diffs) >= 0 ? '+' : ''}${(median(diffs) / 1000).toFixed(2)} us`}${t.events ? `  (${t.events} events)` : ''}`)
}
process.exit(0)
