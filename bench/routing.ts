// Routing (issue 19): (a) what 100 rules add to the proxy's path: planRoute, the function the proxy calls, in a
// tight loop for a request that matches none of 100 rules, against an org with no rules (the proxy then skips
// planRoute: `rulesOf` is null); target ≤ 2 µs added. (b) a dry run over the 10M-event log that
// bench/events/distribution.ts builds and caches (BENCH_EVENTS, default 10,000,000); target < 2 s.
// The log is built directly, not through the writer, so the replay roll-up is filled here once from its raw
// events with the migration's own backfill statement (timed: what upgrading a 10M-event database costs).
// Prints one JSON line and writes it to bench/results/<date>-routing.json (dated results are kept in git). `make bench-routing`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../src/db/open'
import { MIGRATIONS } from '../src/db/migrations'
import { REPLAY_BACKFILL_SQL } from '../src/rollups/replay-rollup'
import { builtinRegistry } from '../src/registry/load'
import { dryRun, needsRawInputs, replayWindow } from '../src/routing/dry-run'
import { SqliteRollupStore } from '../src/storage/sqlite/rollups'
import { planRoute, type RouteContext } from '../src/routing/plan'
import type { RouteRequest } from '../src/routing/match'
import type { Rule } from '../src/routing/schema'
import { median } from './lib/proc'

const QUICK = process.env.BENCH_QUICK === '1'
const N = Number(process.env.BENCH_EVENTS ?? (QUICK ? 200_000 : 10_000_000))
const log = (l: string) => console.error(`routing: ${l}`)
const DAY_MS = 86_400_000

// (a) 100 rules on the request path
const ctx: RouteContext = { keyFor: () => null, azureApiVersion: null }
const req: RouteRequest = { model: 'gpt-4o', provider: 'openai', feature: 'chat', task: 'generation', endpoint: 'chat/completions', stream: false }
// Every rule tests the provider and model first (as the matcher does) and fails on its feature: the most work a
// non-matching rule costs short of the last condition.
const hundred: Rule[] = Array.from({ length: 100 }, (_, i) => ({
  id: `rule-${i}`, enabled: true, match: { provider: ['openai'], model: ['gpt-4o', 'gpt-4o-2024-*'], feature: [`feature-${i}`] },
  target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 100,
}))
/** Per request: wall-clock ns and this process's CPU ns (on a shared, loaded machine the CPU time is the fairer figure). */
function perRequestNs(rules: readonly Rule[] | null, n: number): { wall: number; cpu: number } {
  let sink = 0
  const c = process.cpuUsage()
  const t = Bun.nanoseconds()
  for (let i = 0; i < n; i++) {
    // what the handler does: planRoute only when the org has rules
    const d = rules ? planRoute(rules, req, 'event-id', ctx) : null
    if (d) sink++
  }
  const wall = (Bun.nanoseconds() - t) / n
  const cu = process.cpuUsage(c)
  if (sink) throw new Error('a rule matched')
  return { wall, cpu: ((cu.user + cu.system) * 1000) / n }
}
const LOOP = QUICK ? 100_000 : 1_000_000
for (let w = 0; w < 3; w++) (perRequestNs(hundred, LOOP / 10), perRequestNs(null, LOOP / 10))
const withRules: { wall: number; cpu: number }[] = []
const without: { wall: number; cpu: number }[] = []
for (let r = 0; r < 7; r++) {
  withRules.push(perRequestNs(hundred, LOOP))
  without.push(perRequestNs(null, LOOP))
}
const planUs = {
  hundredRulesUs: median(withRules.map((x) => x.wall)) / 1000, noRulesUs: median(without.map((x) => x.wall)) / 1000,
  hundredRulesCpuUs: median(withRules.map((x) => x.cpu)) / 1000, noRulesCpuUs: median(without.map((x) => x.cpu)) / 1000,
}
log(`100 non-matching rules: ${planUs.hundredRulesUs.toFixed(3)} µs/request wall (${planUs.hundredRulesCpuUs.toFixed(3)} µs CPU), no rules: ${planUs.noRulesUs.toFixed(3)} µs`)

// (b) the dry run over the big log. The cache path is distribution.ts's (same N, generator version and schema hash).
const GENERATOR_VERSION = 1
const schemaHash = Bun.hash(MIGRATIONS.join('\n') + readFileSync(join(import.meta.dir, 'events', 'dataset.ts'), 'utf8')).toString(36)
const cachePath = join(import.meta.dir, '.cache', `events-${N}-g${GENERATOR_VERSION}-${schemaHash}.db`)
if (!existsSync(cachePath)) {
  log(`no cached ${N}-event log; building it with bench/events/distribution.ts`)
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, 'events', 'distribution.ts')], { stdout: 'inherit', stderr: 'inherit', env: process.env })
  if (p.exitCode !== 0 || !existsSync(cachePath)) throw new Error('building the event log failed')
}
const db = openDatabase(cachePath)
const genNow = Number((db.query(`SELECT value FROM bench_meta WHERE key = 'genNow'`).get() as { value: string }).value)
const eventRows = (db.query('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n
let backfillSeconds: number | null = null
if ((db.query('SELECT COUNT(*) AS n FROM replay_rollups_daily').get() as { n: number }).n === 0) {
  log(`filling replay_rollups_daily from ${eventRows} events (the migration's backfill)`)
  const t = performance.now()
  db.transaction(() => db.exec(REPLAY_BACKFILL_SQL))()
  backfillSeconds = (performance.now() - t) / 1000
  log(`backfill: ${backfillSeconds.toFixed(1)} s`)
}
const registry = builtinRegistry()
const since = genNow - 30 * DAY_MS
const eventsIn30Days = (db.query('SELECT SUM(requests) AS n FROM replay_rollups_daily WHERE org_id = ? AND day >= ?').get('default', since - (since % DAY_MS)) as { n: number }).n
const rowsIn30Days = (db.query('SELECT COUNT(*) AS n FROM replay_rollups_daily WHERE org_id = ? AND day >= ?').get('default', since - (since % DAY_MS)) as { n: number }).n
// A realistic proposal: model, feature, task and stream conditions, a canary, and a catch-all last.
const proposal: Rule[] = [
  { id: 'summaries-to-mini', enabled: true, match: { feature: ['summaries', 'reports'], task: ['summarisation'] }, target: { provider: 'openai', model: 'gpt-4o-mini' }, percent: 10 },
  { id: 'tagging-to-nano', enabled: true, match: { task: ['classification'] }, target: { provider: 'openai', model: 'gpt-4.1-nano' } },
  { id: 'streams-4o', enabled: true, match: { model: ['gpt-4o', 'gpt-4o-2024-*'], stream: true }, target: { provider: 'openai', model: 'gpt-4.1' } },
  { id: 'agent-to-haiku', enabled: true, match: { feature: ['agent'] }, target: { provider: 'anthropic', model: 'claude-3-5-haiku-20241022' }, percent: 50 },
  { id: 'everything-else', enabled: true, match: {}, target: { provider: 'openai', model: 'gpt-4.1-mini' } },
]
const rollups = new SqliteRollupStore(db)
const seconds: number[] = []
let results: ReturnType<typeof dryRun>['results'] = []
for (let r = 0; r < (QUICK ? 3 : 5); r++) {
  const t = performance.now()
  const raw = needsRawInputs(registry, proposal)
  const w = replayWindow(since, genNow)
  results = dryRun(await rollups.replayRows('default', w.from, w.to, raw), raw, registry, null, proposal, since, genNow).results
  seconds.push((performance.now() - t) / 1000)
}
db.close()
const matched = results.reduce((a, r) => a + r.matched, 0)
log(`dry run of ${proposal.length} rules over 30 days (${eventsIn30Days} of ${eventRows} events, ${rowsIn30Days} roll-up rows): median ${median(seconds).toFixed(3)} s`)

const out = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg().map((l) => Math.round(l * 100) / 100), note: 'shared with other work while measured' },
  planRoute: { ...planUs, addedUs: planUs.hundredRulesUs - planUs.noRulesUs, addedCpuUs: planUs.hundredRulesCpuUs - planUs.noRulesCpuUs, targetAddedUs: 2, loop: LOOP },
  dryRun: {
    events: eventRows, eventsIn30Days, rollupRowsIn30Days: rowsIn30Days, rules: proposal.length, matched,
    medianSeconds: median(seconds), runsSeconds: seconds, targetSeconds: 2, backfillSeconds,
  },
}
console.log(JSON.stringify(out))
if (!QUICK) {
  const dir = join(import.meta.dir, 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${out.date.slice(0, 10)}-routing.json`), JSON.stringify(out, null, 2) + '\n')
}
