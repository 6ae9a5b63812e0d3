import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FakeUpstream, chatJson } from '../helpers/fake-upstream'
import { eventually, startLectr, type TestLectr } from '../helpers/lectr'
import { answerOf, errorOf } from '../helpers/json'

const builtin = JSON.parse(readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8'))
let up: FakeUpstream
let lectr: TestLectr
let file: string

function registryWith(version: string, extraModel?: object) {
  return JSON.stringify({ ...builtin, version, models: extraModel ? [...builtin.models, extraModel] : builtin.models })
}

beforeAll(async () => {
  up = new FakeUpstream()
  up.script = (_req, rec) => chatJson({ model: JSON.parse(rec.body).model, usage: { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 } })
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  file = join(mkdtempSync(join(tmpdir(), 'lectr-reg-')), 'registry.json')
  writeFileSync(file, registryWith('team-1', { id: 'acme-large', provider: 'groq', price: { input: 7, output: 9 } }))
  lectr = await startLectr(up, { registry: file })
})
afterAll(async () => {
  await lectr.stop()
  up.stop()
})

describe('a registry file', () => {
  test('is in force: its models are detected and priced, its source and version shown', async () => {
    const status = (await answerOf(await lectr.api('registry'), 'registry')).status
    expect(status).toMatchObject({ source: file, version: 'team-1', lastError: null })
    const res = await lectr.post('chat/completions', { model: 'acme-large', messages: [] })
    expect(res.headers.get('x-lectr-provider')).toBe('groq')
    await res.text()
    expect(lectr.events().at(-1)).toMatchObject({ provider: 'groq', detection: 'exact', cost_usd: 7, registry_version: 'team-1' })
  })

  test('a broken file: reload answers 4xx with the reasons, the last good registry stays in force and the error shows', async () => {
    writeFileSync(file, '{"version": "team-2", "providers": [], "models": [{"id": 1}]')
    const res = await lectr.api('registry/reload', { method: 'POST' })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    const body = await errorOf(res)
    expect(body.error.problems?.length).toBeGreaterThan(0)
    const reg = await answerOf(await lectr.api('registry'), 'registry')
    expect(reg.version).toBe('team-1')
    expect(reg.status.lastError?.length).toBeGreaterThan(0)
    const proxied = await lectr.post('chat/completions', { model: 'acme-large', messages: [] })
    expect(proxied.status).toBe(200)
    expect(proxied.headers.get('x-lectr-provider')).toBe('groq')
  })

  test('a change to the file is picked up by the watcher', async () => {
    writeFileSync(file, registryWith('team-3', { id: 'acme-large', provider: 'groq', price: { input: 1, output: 1 } }))
    await eventually(async () => (await answerOf(await lectr.api('registry'), 'registry')).version === 'team-3', 5000)
    const reg = await answerOf(await lectr.api('registry'), 'registry')
    expect(reg.status.lastError).toBeNull()
    await (await lectr.post('chat/completions', { model: 'acme-large', messages: [] })).text()
    expect(lectr.events().at(-1)).toMatchObject({ cost_usd: 1, registry_version: 'team-3' })
  })
})
