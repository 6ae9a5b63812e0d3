// `make bench-scrape`: what a Prometheus scrape every second costs the proxy (issue 21: requests/s with a scrape
// every second ≥ 0.99× without). One Lectr (the compiled binary, event log and metrics on, as shipped) against the
// mock, loaded by wrk at 32 connections in interleaved rounds: in each round once with a scraper fetching /metrics
// every second with the admin token and once without, in an order that alternates from round to round. The same
// process serves both, so the ratio is not the 7-10% two processes of one build differ by here. Then the cost of
// one scrape, alone: Lectr's CPU over sequential scrapes. Writes bench/results/scrape-<date>.json.
// Env: BENCH_QUICK=1 (3 rounds of 2 s), BENCH_SCRAPE_ROUNDS (default 10), BENCH_SCRAPE_SECONDS (default 5), BENCH_LECTR.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ADMIN_TOKEN, CHAT_REQUEST, LECTR_READY, lectrEnv } from './lib/lectr'
import { cpuMs, median, memKiB, startChild } from './lib/proc'
import { ensureWrk, runWrk, type WrkResult } from './lib/wrk'

const QUICK = process.env.BENCH_QUICK === '1'
const ROUNDS = Number(process.env.BENCH_SCRAPE_ROUNDS ?? (QUICK ? 3 : 10))
const SECONDS = Number(process.env.BENCH_SCRAPE_SECONDS ?? (QUICK ? 2 : 5))
const CONNS = 32
const SCRAPE_EVERY_MS = 1000
const ALONE_SCRAPES = 200
const ROOT = resolve(import.meta.dir, '..')
const LECTR = resolve(process.env.BENCH_LECTR ?? join(ROOT, 'dist/lectr'))
const BUN = process.execPath
const t0 = Date.now()
const say = (l: string) => console.error(`[scrape ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${l}`)
const sh = (cmd: string) => Bun.spawnSync(['sh', '-c', cmd], { cwd: ROOT, stderr: 'pipe' }).stdout.toString().trim()

const wrkProblem = ensureWrk(say)
if (wrkProblem) throw new Error(wrkProblem)
const scratch = mkdtempSync(join(tmpdir(), 'lectr-bench-scrape-'))
const mock = await startChild({ name: 'mock', cmd: [BUN, join(import.meta.dir, 'servers', 'mock.ts'), '0'], ready: /mock listening on (\d+)/ })
const lectr = await startChild({ name: 'lectr', cmd: [LECTR], cwd: scratch, env: lectrEnv(mock.port, join(scratch, 'lectr.db')), ready: LECTR_READY })
const base = `http://127.0.0.1:${lectr.port}`
const headers = { 'x-lectr-key': lectr.match[2], 'x-lectr-feature': 'bench', 'x-lectr-task': 'generation', authorization: 'Bearer sk-bench-provider-key' }

interface Scrape {
  ms: number
  status: number
  bytes: number
}
async function scrape(): Promise<Scrape> {
  const t = performance.now()
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  const bytes = (await res.arrayBuffer()).byteLength
  return { ms: performance.now() - t, status: res.status, bytes }
}

/** A scraper as Prometheus runs one: a scrape at once, then one every second, until stopped. */
function scraper(): { stop(): Promise<Scrape[]> } {
  const done: Promise<Scrape>[] = [scrape()]
  const timer = setInterval(() => done.push(scrape()), SCRAPE_EVERY_MS)
  return {
    async stop() {
      clearInterval(timer)
      return Promise.all(done)
    },
  }
}

async function load(variant: 'scrape' | 'none'): Promise<WrkResult & { scrapes: Scrape[] }> {
  const s = variant === 'scrape' ? scraper() : null
  const r = await runWrk({ url: `${base}/v1/chat/completions`, headers, conns: CONNS, seconds: SECONDS, pid: lectr.pid, scratch })
  return { ...r, scrapes: s ? await s.stop() : [] }
}

// Every request must be answered with the mock's 200, and /metrics with a 200, before anything is measured.
const check = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(CHAT_REQUEST) })
if (check.status !== 200) throw new Error(`Lectr answered ${check.status}: ${await check.text()}`)
await check.arrayBuffer()
const first = await scrape()
if (first.status !== 200) throw new Error(`/metrics answered ${first.status}`)

say(`warming up: ${SECONDS} s without, ${SECONDS} s with the scraper`)
const warmup = [await load('none'), await load('scrape')]

const runs: { round: number; variant: 'scrape' | 'none'; rps: number; requests: number; errors: number; cpuUsPerRequest: number; p99us: number; scrapes: Scrape[] }[] = []
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['scrape', 'none'] as const) : (['none', 'scrape'] as const)
  for (const variant of order) {
    const r = await load(variant)
    runs.push({ round, variant, rps: r.rps, requests: r.requests, errors: r.errors, cpuUsPerRequest: r.cpuUsPerRequest, p99us: r.p99us, scrapes: r.scrapes })
    say(`round ${round + 1}/${ROUNDS} ${variant.padEnd(6)} ${r.rps.toFixed(0).padStart(6)} req/s  cpu ${r.cpuUsPerRequest.toFixed(1)} us/req  errors ${r.errors}${r.scrapes.length ? `  scrapes ${r.scrapes.length}, slowest ${Math.max(...r.scrapes.map((s) => s.ms)).toFixed(1)} ms` : ''}`)
  }
}

// One scrape alone: Lectr's CPU over sequential scrapes, no load (what a scrape every second adds, per second).
say(`${ALONE_SCRAPES} scrapes alone`)
await Bun.sleep(500)
for (let i = 0; i < 20; i++) await scrape()
const cpu0 = cpuMs(lectr.pid)
const alone: Scrape[] = []
for (let i = 0; i < ALONE_SCRAPES; i++) alone.push(await scrape())
const cpuPerScrapeUs = ((cpuMs(lectr.pid) - cpu0) * 1000) / ALONE_SCRAPES
const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text()
const seriesLines = text.split('\n').filter((l) => l && !l.startsWith('#')).length
const rssMiB = memKiB(lectr.pid).rss / 1024
await lectr.stop()
await mock.stop()
rmSync(scratch, { recursive: true, force: true })

const by = (v: 'scrape' | 'none') => runs.filter((r) => r.variant === v)
const perRound = [...Array(ROUNDS).keys()].map((round) => {
  const s = runs.find((r) => r.round === round && r.variant === 'scrape')!
  const n = runs.find((r) => r.round === round && r.variant === 'none')!
  return s.rps / n.rps
})
const scrapes = by('scrape').flatMap((r) => r.scrapes)
const errors = runs.reduce((n, r) => n + r.errors, 0) + warmup.reduce((n, r) => n + r.errors, 0)
const figures = {
  rpsScrape: median(by('scrape').map((r) => r.rps)),
  rpsNone: median(by('none').map((r) => r.rps)),
  ratioOfMedians: median(by('scrape').map((r) => r.rps)) / median(by('none').map((r) => r.rps)),
  medianOfRoundRatios: median(perRound),
  roundRatios: perRound,
  cpuUsPerRequestScrape: median(by('scrape').map((r) => r.cpuUsPerRequest)),
  cpuUsPerRequestNone: median(by('none').map((r) => r.cpuUsPerRequest)),
  scrapesUnderLoad: scrapes.length,
  scrapesNot200: scrapes.filter((s) => s.status !== 200).length,
  scrapeMsUnderLoadMedian: median(scrapes.map((s) => s.ms)),
  scrapeMsUnderLoadMax: Math.max(...scrapes.map((s) => s.ms)),
  alone: {
    scrapes: ALONE_SCRAPES,
    cpuUsPerScrape: cpuPerScrapeUs,
    msMedian: median(alone.map((s) => s.ms)),
    bytes: first.bytes,
    bytesAtEnd: text.length,
    samples: seriesLines,
    /** one scrape a second, as a share of one core */
    coreShareAtOnePerSecond: cpuPerScrapeUs / 1e6,
  },
  errors,
  lectrRssMiBAtEnd: rssMiB,
}
// Both ways of reading the rounds must pass; rounds whose ratios spread wider than the 1% asked for cannot show it.
const spread = Math.max(...perRound) - Math.min(...perRound)
const ok = figures.medianOfRoundRatios >= 0.99 && figures.ratioOfMedians >= 0.99 && errors === 0 && figures.scrapesNot200 === 0
const verdict = ok ? 'PASS' : 'FAIL'
const conclusive = spread <= 0.1
const result = {
  meta: {
    date: new Date().toISOString(),
    quick: QUICK,
    params: { rounds: ROUNDS, seconds: SECONDS, conns: CONNS, scrapeEveryMs: SCRAPE_EVERY_MS },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage: sh('cat /proc/loadavg') },
    bun: Bun.version,
    wrk: sh("wrk -v 2>&1 | head -1 | awk '{print $1, $2}'"),
    lectr: { binary: LECTR, version: sh(`${LECTR} --version`), commit: sh('git rev-parse --short HEAD 2>/dev/null'), dirty: sh('git status --porcelain -- src 2>/dev/null') !== '' },
  },
  figures,
  target: {
    target: "req/s with a scrape every second >= 0.99x without (the median of the rounds' ratios and the ratio of the medians)",
    value: Math.min(figures.medianOfRoundRatios, figures.ratioOfMedians),
    ok,
    roundRatioSpread: spread,
    conclusive,
  },
  runs: runs.map(({ scrapes, ...r }) => ({ ...r, scrapes: scrapes.length, scrapeMsMax: scrapes.length ? Math.max(...scrapes.map((s) => s.ms)) : null })),
  seconds: (Date.now() - t0) / 1000,
}
mkdirSync(join(import.meta.dir, 'results'), { recursive: true })
// Dated, and kept in git (bench/.gitignore); a quick run's are not.
const out = join(import.meta.dir, 'results', QUICK ? 'quick-scrape.json' : `scrape-${result.meta.date.slice(0, 16).replace(':', '')}.json`)
writeFileSync(out, JSON.stringify(result, null, 2) + '\n')

const f = figures
console.log(
  [
    '',
    `Lectr ${result.meta.lectr.version} (${result.meta.lectr.commit}${result.meta.lectr.dirty ? '+changes' : ''}), Bun ${Bun.version}, ${result.meta.wrk}, load average ${result.meta.machine.loadAverage}${QUICK ? '  [QUICK run]' : ''}`,
    `${ROUNDS} interleaved rounds of ${SECONDS} s at ${CONNS} connections, one Lectr process; a scrape of /metrics every ${SCRAPE_EVERY_MS / 1000} s in one variant`,
    `  with scraper   ${f.rpsScrape.toFixed(0).padStart(6)} req/s (median)  cpu ${f.cpuUsPerRequestScrape.toFixed(1)} us/req   ${f.scrapesUnderLoad} scrapes, ${f.scrapesNot200} not 200, ${f.scrapeMsUnderLoadMedian.toFixed(1)} ms median, ${f.scrapeMsUnderLoadMax.toFixed(1)} ms max`,
    `  without        ${f.rpsNone.toFixed(0).padStart(6)} req/s (median)  cpu ${f.cpuUsPerRequestNone.toFixed(1)} us/req`,
    `  ratio: ${f.medianOfRoundRatios.toFixed(3)}x (median of the rounds' ratios; range ${Math.min(...perRound).toFixed(3)}-${Math.max(...perRound).toFixed(3)}), ${f.ratioOfMedians.toFixed(3)}x (ratio of the medians); errors ${errors}`,
    `  one scrape alone: ${f.alone.cpuUsPerScrape.toFixed(0)} us of Lectr CPU, ${f.alone.msMedian.toFixed(2)} ms, ${f.alone.bytesAtEnd} bytes, ${f.alone.samples} samples: ${(100 * f.alone.coreShareAtOnePerSecond).toFixed(3)}% of a core at one scrape a second`,
    `  ${verdict}  ${result.target.target}${conclusive ? '' : `  (inconclusive: the rounds' ratios spread over ${spread.toFixed(2)}; see the CPU per scrape above)`}`,
    `Every figure: ${out}  (${result.seconds.toFixed(0)} s)`,
  ].join('\n'),
)
process.exit(0)
