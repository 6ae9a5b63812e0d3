// `bun bench/read-slices-probe.ts <db> [now ms]`: the longest slice of each read (the longest stretch without a turn
// of the event loop) and a hash of its answer (compare two builds at one fixed `now`), in-process, read-only, on
// the cached 10M log. Not part of `make bench`.
import { Database } from 'bun:sqlite'
import { overview, modelRows, knownValues } from '../src/dashboard/queries'
import { recommendationsFor } from '../src/operations/recommendations'
import { builtinRegistry } from '../src/registry/load'
import { SqliteRollupStore } from '../src/storage/sqlite/rollups'

const db = new Database(process.argv[2]!, { readonly: true })
const rollups = new SqliteRollupStore(db)
const now = Number(process.argv[3] ?? Date.now())
const hashes: string[] = []
let longest = 0
let last = performance.now()
let running = true
const tick = () => {
  const t = performance.now()
  longest = Math.max(longest, t - last)
  last = t
  if (running) setImmediate(tick)
}
setImmediate(tick)
async function measure(name: string, read: () => Promise<unknown>) {
  await new Promise((r) => setTimeout(r, 20))
  longest = 0
  last = performance.now()
  const t0 = performance.now()
  const answer = await read()
  const ms = performance.now() - t0
  await new Promise((r) => setImmediate(r))
  const slice = longest
  // Hashed after the figures are taken: stringifying the whole list of recommendations is itself a long slice.
  hashes.push(`${name.replace(/ #\d+$/, '')} ${Bun.hash(JSON.stringify(answer)).toString(36)}`)
  console.log(`${name.padEnd(36)} ${ms.toFixed(0).padStart(6)} ms, longest slice ${slice.toFixed(1)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`)
}
const registry = builtinRegistry()
const deps = { storage: { rollups }, registry: { current: () => registry }, clock: () => new Date(now) } as never
// The same store with a version that moves on every read, as while requests arrive: the list is computed again each
// time (from the groups kept unchanged since the last run, see RecommendMemo); its hash must be the list's above.
let moves = 0
const moving = Object.assign(Object.create(rollups) as SqliteRollupStore, { version: async () => `${await rollups.version()}:${moves++}` })
const movingDeps = { storage: { rollups: moving }, registry: { current: () => registry }, clock: () => new Date(now) } as never
for (let i = 0; i < 3; i++) {
  await measure(`overview 30d #${i}`, () => overview(rollups, 'default', '30d', now))
  await measure(`models 30d #${i}`, () => modelRows(rollups, 'default', null, '30d', now))
  await measure(`knownValues 7d #${i}`, () => knownValues(rollups, 'default', now))
  await measure(`recommendations 30d #${i}`, () => recommendationsFor(deps, 'default', now - 30 * 86_400_000, now))
  await measure(`recommendations 30d, new version #${i}`, () => recommendationsFor(movingDeps, 'default', now - 30 * 86_400_000, now))
}
running = false
console.log(hashes.join('\n'))
