import { afterAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPostgres, type Postgres } from '../helpers/postgres'

const FIXTURE = join(import.meta.dir, 'fixtures', 'hold-cluster.ts')

/** A child process that starts a cluster and keeps it; resolves with its URL once it is up. */
async function childWithCluster(): Promise<{ proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>; url: string; root: string }> {
  const proc = Bun.spawn([process.execPath, FIXTURE], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const reader = proc.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`the child exited before its cluster started: ${await new Response(proc.stderr).text()}`)
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  const { url } = JSON.parse(text) as { url: string }
  return { proc, url, root: join(tmpdir(), `lectr-pg-${proc.pid}`) }
}

async function answers(url: string): Promise<boolean> {
  const sql = new SQL(url, { max: 1, connectionTimeout: 2 })
  try {
    const [row] = await sql`SELECT 1 AS one`
    return row.one === 1
  } catch {
    return false
  } finally {
    await sql.close({ timeout: 0 })
  }
}

describe('a throwaway Postgres (test/helpers/postgres.ts)', () => {
  const started: Postgres[] = []
  afterAll(async () => {
    for (const pg of started) await pg.stop()
  })

  test('starts on a free port of 127.0.0.1, answers as the superuser lectr, and is gone after stop()', async () => {
    const pg = await startPostgres()
    started.push(pg)
    expect(pg.url).toBe(`postgres://lectr@127.0.0.1:${pg.port}/postgres`)
    const sql = new SQL(pg.url, { max: 1 })
    const [row] = await sql`SELECT current_user AS who, current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen`
    await sql.close()
    expect(row).toEqual({ who: 'lectr', fsync: 'off', listen: '127.0.0.1' })
    await pg.stop()
    await pg.stop() // twice is harmless
    expect(await answers(pg.url)).toBe(false)
    // no cluster left running in this process: its directory is gone too (`bun test` fires no exit event)
    expect(existsSync(join(tmpdir(), `lectr-pg-${process.pid}`))).toBe(false)
  })

  test('two clusters at once are separate servers', async () => {
    const [a, b] = await Promise.all([startPostgres(), startPostgres()])
    started.push(a!, b!)
    expect(a!.port).not.toBe(b!.port)
    const sqlA = new SQL(a!.url, { max: 1 })
    await sqlA`CREATE TABLE only_in_a (x INT)`
    await sqlA.close()
    const sqlB = new SQL(b!.url, { max: 1 })
    const [row] = await sqlB`SELECT to_regclass('only_in_a') IS NULL AS absent`
    await sqlB.close()
    expect(row.absent).toBe(true)
  })

  test('a process stopped by SIGTERM stops its cluster and removes its directory', async () => {
    const child = await childWithCluster()
    expect(await answers(child.url)).toBe(true)
    child.proc.kill('SIGTERM')
    expect(await child.proc.exited).toBe(128 + 15)
    expect(await answers(child.url)).toBe(false)
    expect(existsSync(child.root)).toBe(false)
  })

  test('a cluster left running by a process killed outright is stopped and removed by the next start', async () => {
    const child = await childWithCluster()
    child.proc.kill('SIGKILL')
    await child.proc.exited
    // Nothing in the killed process could stop it: the server outlives it.
    expect(await answers(child.url)).toBe(true)
    expect(existsSync(child.root)).toBe(true)
    const pg = await startPostgres()
    started.push(pg)
    expect(await answers(child.url)).toBe(false)
    expect(existsSync(child.root)).toBe(false)
    expect(await answers(pg.url)).toBe(true)
  })
})

describe('an outage (halt and resume)', () => {
  test('halt() takes the server away with its data; resume() brings it back on the same port with the data', async () => {
    const pg = await startPostgres()
    try {
      const sql = new SQL(pg.url, { max: 1 })
      await sql`CREATE TABLE kept (x INT)`
      await sql`INSERT INTO kept VALUES (7)`
      await sql.close()
      await pg.halt('immediate')
      expect(await answers(pg.url)).toBe(false)
      await pg.resume()
      const again = new SQL(pg.url, { max: 1 })
      const rows = await again`SELECT x FROM kept`
      await again.close()
      expect(rows.map((r: { x: number }) => r.x)).toEqual([7])
    } finally {
      await pg.stop()
    }
  })
})
