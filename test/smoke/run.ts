// The compiled binary, copied alone into an empty directory, starts, serves its dashboard assets, proxies a
// request to a fake provider, and on SIGTERM writes its event and exits 0. Run by `make smoke` (part of `make test`).
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Database } from 'bun:sqlite'
import { answerOf } from '../helpers/json'

const binary = resolve(process.argv[2] ?? 'dist/lectr')
const dir = mkdtempSync(join(tmpdir(), 'lectr-smoke-'))
const exe = join(dir, 'lectr')
copyFileSync(binary, exe)
Bun.spawnSync(['chmod', '+x', exe])

const fail = (msg: string): never => {
  console.error(`smoke: FAILED: ${msg}`)
  process.exit(1)
}
const check = (ok: unknown, msg: string) => (ok ? console.log(`smoke: ok   ${msg}`) : fail(msg))

const upstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: () =>
    Response.json({ id: 'x', object: 'chat.completion', model: 'gpt-4o-mini-2024-07-18', choices: [], usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 } }),
})

const help = Bun.spawnSync([exe, '--help'], { cwd: dir })
check(help.exitCode === 0 && help.stdout.toString().includes('--registry'), 'lectr --help lists the flags')

// A first start on a busy port fails plainly (Bun's own report would quote minified source); the start below, on the
// same database, still prints the admin token and the org key.
const busy = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('busy') })
const failed = Bun.spawnSync([exe], { cwd: dir, env: { PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: String(busy.port) } })
busy.stop(true)
const failedErr = failed.stderr.toString()
const plain = failed.exitCode === 2 && failedErr.trimEnd().split('\n').length === 2 && failedErr.includes('--port / LECTR_PORT')
const busyMsg = 'a start on a busy port exits 2 with one plain line naming --port'
check(plain, plain ? busyMsg : `${busyMsg} (exit ${failed.exitCode}: ${failedErr.slice(0, 300)})`)
check(failedErr.length < 400 && !/^\s*at /m.test(failedErr) && !/^\s*\d+ \|/m.test(failedErr), 'and prints no stack trace and no source')

const proc = Bun.spawn([exe], {
  cwd: dir,
  env: {
    PATH: process.env.PATH ?? '',
    LECTR_HOST: '127.0.0.1',
    LECTR_PORT: '0',
    LECTR_OPENAI_BASE_URL: `http://127.0.0.1:${upstream.port}/v1`,
  },
  stdout: 'pipe',
  stderr: 'inherit',
})
let out = ''
const reader = proc.stdout.getReader()
const deadline = Date.now() + 15_000
while (!/Org "default" key[^:]*: (\S+)/.test(out) || !/listening on [^:]+:(\d+)/.test(out)) {
  if (Date.now() > deadline) fail(`no startup output in time:\n${out}`)
  const { value, done } = await reader.read()
  if (done) fail(`exited early:\n${out}`)
  out += new TextDecoder().decode(value)
}
const port = out.match(/listening on [^:]+:(\d+)/)![1]
const orgKey = out.match(/Org "default" key[^:]*: (\S+)/)![1]
const adminToken = out.match(/Admin token[^:]*: (\S+)/)?.[1]
const base = `http://127.0.0.1:${port}`
check(adminToken, 'first start prints an admin token')

const health = await fetch(`${base}/api/health`)
check(health.status === 200 && (await answerOf(health, 'health')).status === 'ok', 'GET /api/health')

const proxied = await fetch(`${base}/v1/chat/completions`, {
  method: 'POST',
  headers: { 'x-lectr-key': orgKey, authorization: 'Bearer smoke-provider-key', 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
})
check(proxied.status === 200 && proxied.headers.get('x-lectr-provider') === 'openai', 'POST /v1/chat/completions is proxied')
await proxied.text()

const page = await fetch(`${base}/`, { redirect: 'manual' })
check(page.status === 200 || page.status === 302 || page.status === 303, `GET / answers (${page.status})`)
const htmx = await fetch(`${base}/assets/htmx.min.js`)
check(htmx.status === 200 && (await htmx.text()).includes('htmx'), 'the embedded htmx is served')

// Sign in as a person would and open every page: views and assets come from inside the binary.
const signin = await fetch(`${base}/signin`)
const formToken = (await signin.text()).match(/name="_csrf" value="([^"]+)"/)?.[1]
const formCookie = signin.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
const signedIn = await fetch(`${base}/signin`, {
  method: 'POST',
  redirect: 'manual',
  headers: { origin: base, cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token: adminToken!, _csrf: formToken ?? '' }),
})
const session = signedIn.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('lectr_session='))
check(signedIn.status === 303 && session, `signing in with the admin token (${signedIn.status})`)
for (const path of ['/', '/models', '/events', '/recommendations', '/settings/azure', '/settings/keys', '/registry']) {
  const res = await fetch(`${base}${path}`, { headers: { cookie: session! } })
  const body = await res.text()
  check(res.status === 200 && body.includes('</html>') && res.headers.get('content-security-policy'), `GET ${path}`)
  for (const asset of body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    const a = await fetch(`${base}${asset[1].replaceAll('&amp;', '&')}`)
    if (a.status !== 200) fail(`asset ${asset[1]} answered ${a.status}`)
  }
}

proc.kill('SIGTERM')
const code = await proc.exited
check(code === 0, `SIGTERM exits 0 (got ${code})`)

const db = new Database(join(dir, 'lectr.db'), { readonly: true })
const events = db.query('SELECT * FROM events').all() as any[]
db.close()
check(events.length === 1 && events[0].cost_usd > 0, `the event was written with its cost (${events[0]?.cost_usd})`)

upstream.stop(true)
rmSync(dir, { recursive: true, force: true })
console.log('smoke: passed')
