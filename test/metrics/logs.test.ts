import { afterAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatJson, FakeUpstream } from '../helpers/fake-upstream'

const PROVIDER_KEY = 'sk-provider-secret-Xy7Qp2Lm9'
const PROMPT = 'the-secret-prompt-Wq3z'
const dir = mkdtempSync(join(tmpdir(), 'lectr-logs-'))
const up = new FakeUpstream()
up.script = (_req, rec) => (rec.body.includes('"fail"') ? chatJson({ status: 500 }) : chatJson())
afterAll(() => {
  up.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Reads a child's stream into `into` until it closes. */
async function collect(stream: ReadableStream<Uint8Array>, into: { text: string }) {
  const dec = new TextDecoder()
  for await (const chunk of stream) into.text += dec.decode(chunk, { stream: true })
}

describe('LECTR_LOG_FORMAT=json with LECTR_ACCESS_LOG=1', () => {
  test('every line on stdout and stderr is JSON, the banner included; one access line per request, with no key or content', async () => {
    const registryFile = join(dir, 'registry.json')
    copyFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), registryFile)
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../src/main.ts')], {
      env: {
        PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: join(dir, 'lectr.db'), LECTR_OPENAI_BASE_URL: up.baseUrl,
        LECTR_LOG_FORMAT: 'json', LECTR_ACCESS_LOG: '1', LECTR_REGISTRY: registryFile,
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const out = { text: '' }
    const err = { text: '' }
    const reading = Promise.all([collect(proc.stdout, out), collect(proc.stderr, err)])
    for (let i = 0; i < 200 && !out.text.includes('"event":"start"'); i++) await Bun.sleep(25)
    const banner = JSON.parse(out.text.split('\n').find((l) => l.includes('"event":"start"'))!)
    expect(banner).toMatchObject({ level: 'info', event: 'start', host: '127.0.0.1' })
    expect(typeof banner.orgKey).toBe('string')
    expect(typeof banner.adminToken).toBe('string')

    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${banner.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-lectr-key': banner.orgKey, authorization: `Bearer ${PROVIDER_KEY}`, 'content-type': 'application/json', 'x-lectr-feature': 'search' },
        body: JSON.stringify(body),
      })
    const ids: string[] = []
    for (const body of [
      { model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }] },
      { model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }], fail: true },
    ]) {
      const res = await post(body)
      ids.push(res.headers.get('x-lectr-request-id')!)
      await res.text()
    }
    for (let i = 0; i < 100 && (out.text.match(/"event":"access"/g) ?? []).length < 2; i++) await Bun.sleep(25)
    proc.kill('SIGHUP')
    for (let i = 0; i < 100 && !out.text.includes('SIGHUP: registry reloaded'); i++) await Bun.sleep(25)
    proc.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
    await reading

    const lines = (out.text + err.text).split('\n').filter((l) => l !== '')
    const parsed = lines.map((l) => JSON.parse(l))
    for (const p of parsed) {
      expect(typeof p.time).toBe('string')
      expect(['info', 'warn', 'error']).toContain(p.level)
      expect(typeof p.event).toBe('string')
      expect(typeof p.msg).toBe('string')
    }
    const access = parsed.filter((p) => p.event === 'access')
    expect(access.map((a) => a.id).sort()).toEqual([...ids].sort())
    for (const a of access) {
      expect(Object.keys(a).sort()).toEqual(['costUsd', 'event', 'id', 'latencyMs', 'level', 'model', 'msg', 'org', 'provider', 'status', 'time'])
      expect(a).toMatchObject({ org: 'default', provider: 'openai', model: 'gpt-4o' })
      expect(typeof a.latencyMs).toBe('number')
    }
    expect(access.map((a) => a.status).sort()).toEqual([200, 500])
    expect(access.find((a) => a.status === 200)!.costUsd).toBeGreaterThan(0)
    expect(parsed.filter((p) => p.event === 'stop').length).toBe(2)
    expect(parsed.find((p) => p.msg === 'lectr: SIGHUP: registry reloaded')).toMatchObject({ level: 'info', event: 'reload' })
    const all = out.text + err.text
    expect(all).not.toContain(PROVIDER_KEY)
    expect(all).not.toContain(PROMPT)
    expect(all).not.toContain('search')
  })

  test('settings that have problems are reported as JSON too', async () => {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../src/main.ts'), '--port', 'x'], {
      env: { PATH: process.env.PATH ?? '', LECTR_DB: join(dir, 'bad.db'), LECTR_LOG_FORMAT: 'json', LECTR_METRICS_LABELS: 'org,key' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    expect(await proc.exited).toBe(2)
    const lines = ((await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text())).split('\n').filter(Boolean)
    expect(lines.length).toBe(1)
    const line = JSON.parse(lines[0]!)
    expect(line).toMatchObject({ level: 'error', event: 'error' })
    expect(line.problems.join('\n')).toContain('LECTR_METRICS_LABELS: expected org, feature or org,feature')
    expect(line.problems.join('\n')).toContain('--port')
  })
})
