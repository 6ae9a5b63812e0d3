// What change propagation between instances can rely on (issue 20: a change in force everywhere within 2 s): Bun's
// LISTEN/NOTIFY across connections, tied to the transaction, and its reconnect when the listening connection drops.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { SQL } from 'bun'
import { connectPostgres } from '../../src/storage/postgres/connect'
import { startPostgres, type Postgres } from '../helpers/postgres'

let pg: Postgres
let writer: SQL
let reader: SQL
beforeAll(async () => {
  pg = await startPostgres()
  writer = connectPostgres(pg.url)
  reader = connectPostgres(pg.url)
})
afterAll(async () => {
  await Promise.all([writer.close(), reader.close()])
  await pg.stop()
})

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await Bun.sleep(10)
  }
}

describe('LISTEN/NOTIFY through Bun SQL', () => {
  test("a notification from one pool reaches another pool's listener, and only after the writer's commit", async () => {
    const got: string[] = []
    const sub = await reader.listen('lectr_changes', (payload) => got.push(payload))
    await writer.begin(async (tx) => {
      await tx.notify('lectr_changes', 'rolled-back')
      throw new Error('abandon')
    }).catch(() => {})
    let committed = false
    const tx = writer.begin(async (tx) => {
      await tx.notify('lectr_changes', 'org:o1')
      await Bun.sleep(200)
      // Inside the transaction nothing has been delivered yet.
      expect(got).toEqual([])
      committed = true
    })
    await tx
    await until(() => got.length === 1)
    await sub.unlisten()
    expect(committed).toBe(true)
    expect(got).toEqual(['org:o1'])
  })

  test('a listening connection that drops is reconnected and subscribed again (onlisten runs again), then hears the next change', async () => {
    const got: string[] = []
    let listens = 0
    const sub = await reader.listen('lectr_changes', (p) => got.push(p), () => listens++)
    expect(listens).toBe(1)
    const killed = await writer`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
      WHERE pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'`
    expect(killed.length).toBe(1)
    await until(() => listens === 2)
    await writer.notify('lectr_changes', 'key:revoked')
    await until(() => got.length === 1)
    await sub.unlisten()
    // (A notification sent while it was down is lost: an instance re-reads what it keeps when onlisten runs again.)
    expect(got).toEqual(['key:revoked'])
  })
})
