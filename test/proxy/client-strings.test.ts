/**
 * Length limits on the strings a client sends that end up in the event log (issue 15): a 20 MB `model` is refused
 * and recorded cut, a long `X-Lectr-Feature` is recorded cut with a warning. Real Lectr, real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { Database } from 'bun:sqlite'
import { FakeUpstream } from '../helpers/fake-upstream'
import { startLectr, type TestLectr } from '../helpers/lectr'
import { errorOf } from '../helpers/json'

let up: FakeUpstream
let lectr: TestLectr

beforeAll(async () => {
  up = new FakeUpstream()
  lectr = await startLectr(up)
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

/** The database's size on disk, write-ahead log included, after every pending event is written. */
function dbBytes(): number {
  lectr.running.writer.flush()
  const size = (path: string) => {
    try {
      return statSync(path).size
    } catch {
      return 0
    }
  }
  return size(lectr.dbPath) + size(`${lectr.dbPath}-wal`)
}

function readDb<T>(fn: (db: Database) => T): T {
  lectr.running.writer.flush()
  const db = new Database(lectr.dbPath, { readonly: true })
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

describe('model', () => {
  test('a 20 MB model: 400 lectr_model_too_long, upstream untouched, one event with the model cut to 256', async () => {
    const model = 'gpt-4o-' + 'x'.repeat(20 * 1024 * 1024)
    const sentBefore = up.received.length
    const eventsBefore = lectr.events().length
    const sizeBefore = dbBytes()

    const res = await lectr.post('chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(400)
    const body = await errorOf(res)
    expect(body.error.code).toBe('lectr_model_too_long')
    expect(body.error.type).toBe('invalid_request_error')
    expect(body.error.message).toContain('at most 256 characters')
    expect(body.error.message.length).toBeLessThan(300) // the model is never echoed
    expect(up.received.length).toBe(sentBefore)

    const events = lectr.events()
    expect(events.length).toBe(eventsBefore + 1)
    const e = events.at(-1)
    expect(e.id).toBe(res.headers.get('x-lectr-request-id'))
    expect(e.status).toBe(400)
    expect(e.error_code).toBe('lectr_model_too_long')
    expect(e.model).toBe(model.slice(0, 256))
    // Detection still ran on the name: `gpt-4o-…` is OpenAI's by prefix.
    expect(e.provider).toBe('openai')

    expect(dbBytes() - sizeBefore).toBeLessThan(1024 * 1024)
    const lengths = readDb((db) => ({
      events: db.query('SELECT MAX(length(model)) AS n FROM events').get() as { n: number },
      rollups: db.query('SELECT MAX(length(model)) AS n FROM rollups_hourly').get() as { n: number },
      hourly: db.query('SELECT MAX(length(model)) AS n FROM model_rollups_hourly').get() as { n: number },
      daily: db.query('SELECT MAX(length(model)) AS n FROM model_rollups_daily').get() as { n: number },
      cut: db.query('SELECT COUNT(*) AS n FROM rollups_hourly WHERE model = ?').get(model.slice(0, 256)) as { n: number },
    }))
    expect(lengths.events.n).toBe(256)
    expect(lengths.rollups.n).toBe(256)
    expect(lengths.hourly.n).toBe(256)
    expect(lengths.daily.n).toBe(256)
    expect(lengths.cut.n).toBe(1)
  })

  test('a model of exactly 256 characters is forwarded and recorded whole', async () => {
    const model = 'gpt-4o-' + 'y'.repeat(256 - 7)
    const res = await lectr.post('chat/completions', { model, messages: [] })
    expect(res.status).toBe(200)
    expect(JSON.parse(up.last.body).model).toBe(model)
    expect(lectr.events().at(-1).model).toBe(model)
  })

  test('257 characters is refused; a streaming request too', async () => {
    const model = 'z'.repeat(257)
    const sentBefore = up.received.length
    for (const stream of [false, true]) {
      const res = await lectr.post('chat/completions', { model, stream, messages: [] })
      expect(res.status).toBe(400)
      expect((await errorOf(res)).error.code).toBe('lectr_model_too_long')
    }
    expect(up.received.length).toBe(sentBefore)
    expect(lectr.events().at(-1).model).toBe('z'.repeat(256))
  })

  test('a long model in an Azure request is refused before any Azure settings are looked at', async () => {
    const res = await lectr.post('chat/completions', { model: 'd'.repeat(300), messages: [] }, { 'x-lectr-provider': 'azure' })
    expect(res.status).toBe(400)
    expect((await errorOf(res)).error.code).toBe('lectr_model_too_long')
    const e = lectr.events().at(-1)
    expect(e.provider).toBe('azure')
    expect(e.model.length).toBe(256)
  })
})

describe('feature', () => {
  test('a feature near the 16 KiB header limit: 200, recorded cut to 128, with X-Lectr-Warning', async () => {
    const feature = 'f'.repeat(16_000)
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-feature': feature })
    expect(res.status).toBe(200)
    await res.text()
    const warning = res.headers.get('x-lectr-warning')
    expect(warning).toContain('X-Lectr-Feature is 16000 characters long; recorded cut to its first 128')
    expect(warning!.length).toBeLessThan(200)
    const e = lectr.events().at(-1)
    expect(e.feature).toBe('f'.repeat(128))
    expect(readDb((db) => (db.query('SELECT MAX(length(feature)) AS n FROM rollups_hourly').get() as { n: number }).n)).toBe(128)
  })

  test('a feature of 128 characters is recorded whole, without a warning', async () => {
    const feature = 'g'.repeat(128)
    const res = await lectr.post('chat/completions', { model: 'gpt-4o', messages: [] }, { 'x-lectr-feature': feature })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-lectr-warning')).toBeNull()
    expect(lectr.events().at(-1).feature).toBe(feature)
  })

  test('a long feature and an unknown task: one warning header names both, printable ASCII, bounded', async () => {
    const res = await lectr.post(
      'chat/completions',
      { model: 'gpt-4o', messages: [] },
      { 'x-lectr-feature': 'é'.repeat(5000), 'x-lectr-task': 't'.repeat(8000) },
    )
    expect(res.status).toBe(200)
    const warning = res.headers.get('x-lectr-warning')!
    expect(warning).toContain('X-Lectr-Task "' + 't'.repeat(64) + '" is not one of')
    expect(warning).not.toContain('t'.repeat(65))
    expect(warning).toContain('X-Lectr-Feature is')
    expect(warning).toMatch(/^[\x20-\x7e]+$/)
    expect(warning.length).toBeLessThan(400)
    const e = lectr.events().at(-1)
    expect(e.task).toBeNull()
    expect(e.feature.length).toBeLessThanOrEqual(128)
  })
})
