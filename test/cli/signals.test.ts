import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from 'bun:sqlite'
import { FakeUpstream, openaiChatStream, sse } from '../helpers/fake-upstream'
import { answerOf } from '../helpers/json'

const dir = mkdtempSync(join(tmpdir(), 'lectr-signals-'))
const up = new FakeUpstream()
afterAll(() => {
  up.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Starts `bun src/main.ts` and reads its startup output for the port and the org key. */
async function spawnLectr(env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../src/main.ts')], {
    env: { PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: join(dir, 'lectr.db'), LECTR_OPENAI_BASE_URL: up.baseUrl, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const reader = proc.stdout.getReader()
  let out = ''
  while (!/First request/.test(out)) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`lectr exited: ${out}`)
    out += new TextDecoder().decode(value)
  }
  const more = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      out += new TextDecoder().decode(value)
    }
  })()
  return {
    proc,
    port: Number(out.match(/listening on [^:]+:(\d+)/)![1]),
    orgKey: out.match(/Org "default" key[^:]*: (\S+)/)?.[1] ?? '',
    output: () => out,
    done: more,
  }
}

describe('signals', () => {
  test('SIGTERM drains: the in-flight stream finishes whole, new requests are refused, every event is written, exit 0', async () => {
    up.script = () => sse(openaiChatStream(12, { prompt_tokens: 5, completion_tokens: 12, total_tokens: 17 }), { delayMs: 100 })
    const l = await spawnLectr({})
    const url = `http://127.0.0.1:${l.port}/v1/chat/completions`
    const init = {
      method: 'POST',
      headers: { 'x-lectr-key': l.orgKey, authorization: 'Bearer pk', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [] }),
    }
    const res = await fetch(url, init)
    const reader = res.body!.getReader()
    await reader.read()
    l.proc.kill('SIGTERM')
    let text = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    expect(text).toContain('tok11')
    expect(text).toContain('[DONE]')
    const refused = await fetch(url, init).then((r) => r.status, () => 'refused')
    expect(refused).toBe('refused')
    expect(await l.proc.exited).toBe(0)
    await l.done
    const db = new Database(join(dir, 'lectr.db'), { readonly: true })
    const events = db.query('SELECT status, output_tokens, stream FROM events').all() as any[]
    db.close()
    expect(events).toEqual([{ status: 200, output_tokens: 12, stream: 1 }])
  })

  test('SIGHUP reloads the registry file; a broken one keeps the last good registry', async () => {
    const builtin = readFileSync(join(import.meta.dir, '../../src/registry/builtin.json'), 'utf8')
    const file = join(dir, 'registry.json')
    writeFileSync(file, builtin)
    const l = await spawnLectr({ LECTR_REGISTRY: file, LECTR_ADMIN_TOKEN: 'signals-admin-token-123' })
    writeFileSync(file, '{ broken')
    l.proc.kill('SIGHUP')
    const deadline = Date.now() + 5000
    while (!l.output().includes('SIGHUP') && Date.now() < deadline) await Bun.sleep(20)
    expect(l.output()).toContain('SIGHUP: registry has problems')
    const reg = await answerOf(await fetch(`http://127.0.0.1:${l.port}/api/registry`, { headers: { authorization: 'Bearer signals-admin-token-123' } }), 'registry')
    expect(reg.models.length).toBeGreaterThan(20)
    expect(reg.status.lastError?.length).toBeGreaterThan(0)
    l.proc.kill('SIGTERM')
    expect(await l.proc.exited).toBe(0)
  })
})
