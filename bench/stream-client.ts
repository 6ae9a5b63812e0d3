// Streaming load: `concurrency` streams at once, `rounds` times, against one target. Prints one JSON line.
// Run as its own process (started by bench/run.ts with BUN_CONFIG_MAX_HTTP_REQUESTS raised so that fetch
// itself never queues): bun bench/stream-client.ts '<json options>'
import { memKiB } from './lib/proc'

interface Options {
  url: string
  headers: Record<string, string>
  body: string
  concurrency: number
  rounds: number
  /** the server process whose RSS is sampled while streams are open */
  watchPid?: number
  sampleMs?: number
  expectDeltas: number
}
const o: Options = JSON.parse(process.argv[2])

/** RSS of the server and its descendants (a server may serve from a re-executed child). */
const rssKiB = (pid: number) => memKiB(pid).rss

const ttft: number[] = []
const total: number[] = []
const gaps: number[] = []
const errors: string[] = []
const texts: string[] = []
let open = 0
let maxOpen = 0
const samples: { t: number; open: number; rss: number }[] = []
const started = performance.now()
let sampler: ReturnType<typeof setInterval> | null = null
if (o.watchPid) {
  sampler = setInterval(() => samples.push({ t: performance.now() - started, open, rss: rssKiB(o.watchPid!) }), o.sampleMs ?? 25)
}
const idleRss = o.watchPid ? rssKiB(o.watchPid) : NaN

async function one(): Promise<void> {
  const t0 = performance.now()
  let counted = false
  try {
    const res = await fetch(o.url, { method: 'POST', headers: o.headers, body: o.body })
    if (res.status !== 200) {
      errors.push(`status ${res.status}: ${(await res.text()).slice(0, 200)}`)
      return
    }
    const reader = res.body!.getReader()
    const dec = new TextDecoder()
    let text = ''
    let last = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!value || value.byteLength === 0) continue
      const now = performance.now()
      if (!last) {
        ttft.push(now - t0)
        open++
        counted = true
        if (open > maxOpen) maxOpen = open
      } else gaps.push(now - last)
      last = now
      text += dec.decode(value, { stream: true })
    }
    total.push(performance.now() - t0)
    texts.push(text)
  } catch (err) {
    errors.push(`fetch failed: ${(err as Error).message}`)
  } finally {
    if (counted) open--
  }
}

for (let r = 0; r < o.rounds; r++) {
  await Promise.all(Array.from({ length: o.concurrency }, () => one()))
}
if (sampler) clearInterval(sampler)

// Check every stream after the timing is over: all deltas, the usage chunk, [DONE].
let complete = 0
for (const text of texts) {
  let deltas = 0
  let usage = false
  let doneSeen = false
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue
    const data = line.slice(5).trim()
    if (data === '[DONE]') {
      doneSeen = true
      continue
    }
    try {
      const c = JSON.parse(data)
      if (typeof c.choices?.[0]?.delta?.content === 'string' && c.choices[0].delta.content.length) deltas++
      if (c.usage && c.usage.completion_tokens > 0) usage = true
    } catch {
      errors.push('unparseable chunk')
    }
  }
  if (deltas === o.expectDeltas && usage && doneSeen) complete++
  else errors.push(`incomplete stream: ${deltas}/${o.expectDeltas} deltas, usage ${usage}, [DONE] ${doneSeen}`)
}

console.log(
  JSON.stringify({
    streams: o.concurrency * o.rounds,
    complete,
    errors: errors.length,
    errorSamples: [...new Set(errors)].slice(0, 5),
    ttft,
    total,
    gaps,
    maxOpen,
    idleRss,
    samples,
  }),
)
