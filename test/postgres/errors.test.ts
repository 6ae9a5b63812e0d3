// Each failure produced for real against a throwaway server, and what the writer must make of it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { connectPostgres } from '../../src/storage/postgres/connect'
import { postgresFailure } from '../../src/storage/postgres/errors'
import { migratePostgres } from '../../src/storage/postgres/migrations'
import { startPostgres, type Postgres } from '../helpers/postgres'

let pg: Postgres
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg.stop()
})

async function failure(work: Promise<unknown>): Promise<{ kind: string; code: string; errno: string | undefined }> {
  try {
    await work
  } catch (err) {
    const e = err as { code: string; errno?: string }
    return { kind: postgresFailure(err), code: e.code, errno: e.errno }
  }
  throw new Error('it did not fail')
}

describe('postgresFailure (src/storage/postgres/errors.ts)', () => {
  test('no server at the address: unavailable', async () => {
    const sql = new SQL(`postgres://lectr@127.0.0.1:1/postgres`, { max: 1, connectionTimeout: 2 })
    expect(await failure(sql`SELECT 1`)).toEqual({ kind: 'unavailable', code: 'ERR_POSTGRES_CONNECTION_REFUSED', errno: undefined })
    await sql.close()
  })

  test('the server going away under an open transaction, a running query, and while down: unavailable each time', async () => {
    const sql = connectPostgres(pg.url)
    await sql`SELECT 1`
    const open = sql.begin(async (tx) => {
      await tx`SELECT 1`
      await Bun.sleep(1500)
      await tx`SELECT 2`
    })
    await Bun.sleep(300)
    const halted = pg.halt('fast')
    // seen here: 57P01 (terminating connection due to administrator command); a plain close is as good
    expect((await failure(open)).kind).toBe('unavailable')
    await halted
    expect(await failure(sql`SELECT 1`)).toEqual({ kind: 'unavailable', code: 'ERR_POSTGRES_CONNECTION_REFUSED', errno: undefined })
    await pg.resume()
    const running = sql`SELECT pg_sleep(5)`
    running.execute()
    await Bun.sleep(300)
    const crashed = pg.halt('immediate')
    // seen here: ERR_POSTGRES_CONNECTION_CLOSED
    expect((await failure(running)).kind).toBe('unavailable')
    await crashed
    await pg.resume()
    // and the same pool works again once the server is back
    const [row] = await sql`SELECT 1 AS one`
    await sql.close()
    expect(row.one).toBe(1)
  })

  test('a day without a partition: no-partition; bad data: rejected', async () => {
    const sql = connectPostgres(pg.url)
    await migratePostgres(sql)
    const insert = sql`INSERT INTO events (id, time, org_id, provider, provider_unknown, detection, endpoint, stream, status, latency_ms, usage_estimated, registry_version)
      VALUES ('e1', 0, 'o1', 'openai', 0, 'path', 'chat/completions', 0, 200, 1, 0, 'r1')`
    expect(await failure(insert)).toEqual({ kind: 'no-partition', code: 'ERR_POSTGRES_SERVER_ERROR', errno: '23514' })
    expect(await failure(sql`SELECT ${'a\u0000b'}::text`)).toEqual({ kind: 'rejected', code: 'ERR_POSTGRES_SERVER_ERROR', errno: '22021' })
    expect(await failure(sql`SELECT * FROM no_such_table`)).toEqual({ kind: 'rejected', code: 'ERR_POSTGRES_SERVER_ERROR', errno: '42P01' })
    await sql.close()
  })

  test('a deadlock or a serialization failure: conflict (run the transaction again)', () => {
    expect(postgresFailure({ code: 'ERR_POSTGRES_SERVER_ERROR', errno: '40P01', message: 'deadlock detected' })).toBe('conflict')
    expect(postgresFailure({ code: 'ERR_POSTGRES_SERVER_ERROR', errno: '40001', message: 'could not serialize access' })).toBe('conflict')
    expect(postgresFailure({ code: 'ERR_POSTGRES_SERVER_ERROR', errno: '53300', message: 'too many clients' })).toBe('unavailable')
    expect(postgresFailure({ code: 'ERR_POSTGRES_SERVER_ERROR', errno: '28P01', message: 'password authentication failed' })).toBe('unavailable')
    expect(postgresFailure(new Error('anything else'))).toBe('rejected')
    expect(postgresFailure(null)).toBe('rejected')
  })
})
