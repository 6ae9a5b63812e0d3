import { afterEach } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/open'
import type { LectrEvent } from '../../src/domain'
import { sqliteEventWriter } from '../../src/storage/sqlite/event-writer'
import { SqliteRollupStore } from '../../src/storage/sqlite/rollups'

/**
 * A fresh SQLite database in a temp dir (removed after each test), its writer, a roll-up store whose clock stands at
 * `now`, and `record(time, over)`: one answered request's event at `time`. Call at the top of a test file.
 */
export function sqliteRollupFixture(now: number, prefix: string) {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    const db = openDatabase(join(dir, 'lectr.db'))
    const writer = sqliteEventWriter(db, { log: () => {} })
    const fresh = () => new SqliteRollupStore(db, { now: () => now })
    const record = (time: number, over: Partial<LectrEvent> = {}) =>
      writer.enqueue({
        id: Bun.randomUUIDv7('hex', time), time: new Date(time).toISOString(), org: 'default', provider: 'openai', providerUnknown: false,
        detection: 'exact', model: 'gpt-4o', responseModel: null, endpoint: 'chat/completions' as LectrEvent['endpoint'], stream: false,
        status: 200, errorCode: null, inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: 100, reasoningTokens: 0, costUsd: 0.01, latencyMs: 100,
        ttfbMs: null, feature: null, task: null, usageEstimated: false, registryVersion: 't', ...over,
      })
    return { db, writer, rollups: fresh(), record, fresh }
  }
}
