import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { DAY_MS } from '../../src/domain'
import { connectPostgres } from '../../src/storage/postgres/connect'
import { migratePostgres } from '../../src/storage/postgres/migrations'
import {
  dayOf, dropEventPartitionsBefore, ensureEventPartitions, eventPartitionDays, PartitionDays, partitionDay, partitionName,
} from '../../src/storage/postgres/partitions'
import { createDatabase, startPostgres, type Postgres } from '../helpers/postgres'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg.stop()
})

let databases = 0
async function migratedDatabase(): Promise<{ sql: SQL; url: string }> {
  const url = await createDatabase(pg, `p${++databases}`)
  const sql = connectPostgres(url)
  await migratePostgres(sql)
  return { sql, url }
}

const DEC_7 = Date.UTC(2026, 11, 7)

/** An event row with only what `events` requires. */
function insertEvent(sql: SQL, id: string, time: number) {
  return sql`INSERT INTO events (id, time, org_id, provider, provider_unknown, detection, endpoint, stream, status, latency_ms, usage_estimated, registry_version)
    VALUES (${id}, ${time}, 'o1', 'openai', 0, 'path', 'chat/completions', 0, 200, 12.5, 0, 'r1')`
}

async function partitionOf(sql: SQL, id: string): Promise<string> {
  const [row] = await sql`SELECT tableoid::regclass::text AS part FROM events WHERE id = ${id}`
  return row.part
}

describe('day partitions of events (src/storage/postgres/partitions.ts)', () => {
  test('names: one per UTC day, and back', () => {
    expect(partitionName(DEC_7)).toBe('events_20261207')
    expect(dayOf(DEC_7 + DAY_MS - 1)).toBe(DEC_7)
    expect(dayOf(DEC_7 + DAY_MS)).toBe(DEC_7 + DAY_MS)
    expect(partitionDay('events_20261207')).toBe(DEC_7)
    expect(partitionDay('events_20261332')).toBeNull()
    expect(partitionDay('events_2026120')).toBeNull()
    expect(partitionDay('orgs')).toBeNull()
  })

  test('an event of a day without a partition is refused; once the day is ensured it lands in that day', async () => {
    const { sql } = await migratedDatabase()
    await expect(insertEvent(sql, 'e1', DEC_7 + 5)).rejects.toThrow('no partition of relation "events" found for row')
    await ensureEventPartitions(sql, [DEC_7 + 5])
    await insertEvent(sql, 'e1', DEC_7 + 5)
    await insertEvent(sql, 'e2', DEC_7 + DAY_MS - 1)
    await expect(insertEvent(sql, 'e3', DEC_7 + DAY_MS)).rejects.toThrow('no partition')
    const parts = [await partitionOf(sql, 'e1'), await partitionOf(sql, 'e2')]
    await sql.close()
    expect(parts).toEqual(['events_20261207', 'events_20261207'])
  })

  test('the same days ensured by several instances at once: no error, one partition each', async () => {
    const { sql, url } = await migratedDatabase()
    const others = [connectPostgres(url), connectPostgres(url), connectPostgres(url)]
    const days = [DEC_7, DEC_7 + DAY_MS, DEC_7 + 2 * DAY_MS, DEC_7 + 3 * DAY_MS]
    await Promise.all(others.flatMap((o) => [ensureEventPartitions(o, days), ensureEventPartitions(o, [...days].reverse())]))
    await Promise.all(others.map((o) => o.close()))
    const found = await eventPartitionDays(sql)
    await sql.close()
    expect(found).toEqual(days)
  })

  test('retention drops whole days that end at or before the cutoff, and only those', async () => {
    const { sql } = await migratedDatabase()
    const days = [0, 1, 2, 3].map((i) => DEC_7 + i * DAY_MS)
    await ensureEventPartitions(sql, days)
    for (const [i, day] of days.entries()) await insertEvent(sql, `e${i}`, day + 1000)
    // The cutoff falls inside the third day: the first two are whole and go, the third stays.
    expect(await dropEventPartitionsBefore(sql, days[2]! + 3600_000)).toEqual([days[0], days[1]])
    const left = await sql`SELECT id FROM events ORDER BY id`
    const partitions = await eventPartitionDays(sql)
    expect(await dropEventPartitionsBefore(sql, days[2]! + 3600_000)).toEqual([])
    await sql.close()
    expect(left.map((r: { id: string }) => r.id)).toEqual(['e2', 'e3'])
    expect(partitions).toEqual([days[2], days[3]])
  })

  test('PartitionDays asks the database only for days it has not ensured, and again after retention dropped them', async () => {
    const { sql } = await migratedDatabase()
    const known = new PartitionDays()
    expect(await known.ensure(sql, [DEC_7 + 1, DEC_7 + 2, DEC_7 + DAY_MS + 3])).toBe(2)
    expect(await known.ensure(sql, [DEC_7 + 9, DEC_7 + DAY_MS])).toBe(0)
    await dropEventPartitionsBefore(sql, DEC_7 + DAY_MS)
    known.forgetBefore(DEC_7 + DAY_MS)
    expect(await known.ensure(sql, [DEC_7 + 1])).toBe(1)
    await insertEvent(sql, 'old', DEC_7 + 1)
    const part = await partitionOf(sql, 'old')
    await sql.close()
    expect(part).toBe('events_20261207')
  })
})
