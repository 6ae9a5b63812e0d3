// The event writer's sustained throughput (issue 3: at least 50,000 events/s): the real EventWriter on a fresh
// database (real migrations, WAL), fed N realistic events in slices of 1,000 per turn of the event loop, as a
// busy proxy would, timed from the first enqueue until the last event is committed. Prints one JSON line.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import { startCheckpointer } from '../../src/storage/sqlite/checkpointer'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import { makeCompact, rng, toEvent } from './generate'

const N = Number(process.env.BENCH_WRITER_EVENTS ?? 200_000)
const SLICE = 1000
const dir = mkdtempSync(join(tmpdir(), 'lectr-bench-writer-'))
const path = join(dir, 'events.db')
const db = openDatabase(path)
const writer = sqliteEventWriter(db, { log: (l) => console.error(l) })
// As the server runs it: WAL checkpoints in their Worker, not in the writer's commits.
const checkpointer = startCheckpointer(db, path)

// Events made beforehand (not timed), over the last few seconds as a burst of live traffic would be.
const r = rng(42)
const now = Date.now()
const events = Array.from({ length: N }, (_, i) => toEvent(makeCompact(r, now - 5000 + Math.floor((i / N) * 5000)), Bun.randomUUIDv7()))

const t0 = performance.now()
await new Promise<void>((resolve) => {
  let i = 0
  const feed = () => {
    const end = Math.min(N, i + SLICE)
    for (; i < end; i++) writer.enqueue(events[i])
    if (i < N) setImmediate(feed)
  }
  feed()
  const poll = () => (writer.written >= N ? resolve() : setImmediate(poll))
  poll()
})
const elapsedMs = performance.now() - t0

const count = (db.query('SELECT COUNT(*) AS n FROM events').get() as any).n
const rolled = (db.query('SELECT SUM(requests) AS n FROM rollups_hourly').get() as any).n
writer.close()
await checkpointer.stop()
db.close()
const bytes = statSync(path).size
rmSync(dir, { recursive: true, force: true })

console.log(
  JSON.stringify({
    events: N,
    elapsedMs,
    eventsPerSec: N / (elapsedMs / 1000),
    written: count,
    rolledUp: rolled,
    ok: count === N && rolled === N,
    dbBytes: bytes,
  }),
)
