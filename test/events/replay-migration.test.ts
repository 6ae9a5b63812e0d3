import { expect, test } from 'bun:test'
import { MIGRATIONS } from '../../src/db/migrations'
import { REPLAY_BACKFILL_SQL } from '../../src/rollups/replay-rollup'

// Migration 6 fills the dry run's roll-up with the statement spelled out (a migration never changes once it ran); the
// statement the code uses today must still be that one, or the two would count differently.
test('migration 6 fills the replay roll-up with the backfill statement the code uses', () => {
  expect(MIGRATIONS[5]!).toContain(REPLAY_BACKFILL_SQL)
})
