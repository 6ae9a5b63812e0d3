import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Bun's fetch holds at most BUN_CONFIG_MAX_HTTP_REQUESTS (256 by default) requests in flight: a plain `lectr` must
// still hold more open streams than that at once.
const dir = mkdtempSync(join(tmpdir(), 'lectr-slots-'))
let open = 0
let peak = 0
const up = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  fetch: async () => {
    open++
    peak = Math.max(peak, open)
    await Bun.sleep(1500)
    open--
    return Response.json({ id: 'x', object: 'chat.completion', model: 'gpt-4o', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })
  },
})
afterAll(() => {
  up.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

test('300 requests are in flight upstream at once', async () => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: join(dir, 'l.db'), LECTR_OPENAI_BASE_URL: `http://127.0.0.1:${up.port}/v1` }
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, '../../src/main.ts')], { env, stdout: 'pipe', stderr: 'inherit' })
  try {
  const reader = proc.stdout.getReader()
  let out = ''
  while (!out.includes('First request')) out += new TextDecoder().decode((await reader.read()).value)
  const port = out.match(/listening on [^:]+:(\d+)/)![1]
  const key = out.match(/Org "default" key[^:]*: (\S+)/)![1]
  // The client is a process of its own with a higher limit: this test process has Bun's 256 too.
  const client = Bun.spawn(
    [process.execPath, '-e', `
      const r = await Promise.all(Array.from({ length: 300 }, () => fetch('http://127.0.0.1:${port}/v1/chat/completions', {
        method: 'POST', headers: { 'x-lectr-key': '${key}', 'content-type': 'application/json' }, body: '{"model":"gpt-4o","messages":[]}',
      }).then(async (res) => (await res.text(), res.status))))
      console.log(JSON.stringify(r))`],
    { env: { PATH: process.env.PATH ?? '', BUN_CONFIG_MAX_HTTP_REQUESTS: '1024' }, stdout: 'pipe' },
  )
  const statuses: number[] = JSON.parse(await new Response(client.stdout).text())
  expect(statuses.every((s) => s === 200)).toBe(true)
  expect(peak).toBe(300)
  } finally {
    proc.kill('SIGTERM')
  }
  expect(await proc.exited).toBe(0)
}, 30_000)
