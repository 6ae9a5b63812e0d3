/**
 * A start that fails (port in use, a database path that cannot be opened, a bad setting) prints one plain line
 * naming the setting, no stack trace, exits 2, and leaves no credential that was never shown (SPEC section 1).
 * Runs `bun src/main.ts` as a real process. Tests run as root, for whom a directory without write permission is
 * still writable: that case runs Lectr as `nobody` (setpriv), and /proc stands for a directory not even root can
 * create a file in.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database } from 'bun:sqlite'
import { parseConfig } from '../../src/config'
import { startServer } from '../../src/server'
import { FakeUpstream } from '../helpers/fake-upstream'

const dir = mkdtempSync(join(tmpdir(), 'lectr-failed-start-'))
const up = new FakeUpstream()
afterAll(() => {
  up.stop()
  rmSync(dir, { recursive: true, force: true })
})
const main = join(import.meta.dir, '../../src/main.ts')
const baseEnv = () => ({ PATH: process.env.PATH ?? '', LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_OPENAI_BASE_URL: up.baseUrl })

/** Runs a start that is expected to fail, to the end. */
function failedStart(env: Record<string, string>, args: string[] = []) {
  const p = Bun.spawnSync([process.execPath, main, ...args], { env: { ...baseEnv(), ...env }, cwd: dir, stdout: 'pipe', stderr: 'pipe' })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

/** A heading, then exactly one plain line naming `setting`; no stack trace, no source text, no credential. */
function expectOnePlainLine(r: { code: number | null; out: string; err: string }, setting: string): string {
  expect(r.code).toBe(2)
  const lines = r.err.trimEnd().split('\n')
  expect(lines).toHaveLength(2)
  expect(lines[0]).toStartWith('lectr: cannot start')
  expect(lines[1]).toStartWith(`  - ${setting}`)
  expect(r.err).not.toMatch(/^\s*at /m) // stack frames
  expect(r.err).not.toMatch(/^\s*\d+ \|/m) // Bun's quoted source lines
  expect(r.err).not.toContain('Error')
  expect(r.out + r.err).not.toContain('lectr_admin_')
  expect(r.out + r.err).not.toContain('lectr_org_')
  return lines[1]
}

/** Starts `bun src/main.ts` and reads its startup output. */
async function spawnLectr(env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, main], { env: { ...baseEnv(), ...env }, cwd: dir, stdout: 'pipe', stderr: 'pipe' })
  const reader = proc.stdout.getReader()
  let out = ''
  while (!out.includes('First request')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`lectr exited: ${out}\n${await new Response(proc.stderr).text()}`)
    out += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  void proc.stdout.cancel().catch(() => {})
  return {
    proc,
    url: `http://127.0.0.1:${out.match(/listening on [^\s:]+:(\d+)/)![1]}`,
    adminToken: out.match(/Admin token[^:]*: (\S+)/)?.[1] ?? null,
    orgKey: out.match(/Org "default" key[^:]*: (\S+)/)?.[1] ?? null,
    async stop() {
      proc.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
    },
  }
}

const chat = (url: string, orgKey: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-lectr-key': orgKey, authorization: 'Bearer sk-test', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  }).then((r) => r.status)
const orgs = (url: string, token: string) => fetch(`${url}/api/orgs`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)

function credentialsIn(dbPath: string) {
  const db = new Database(dbPath, { readonly: true })
  try {
    return {
      adminHash: db.query("SELECT 1 FROM meta WHERE key = 'admin_token_hash'").get() !== null,
      orgKeys: (db.query('SELECT COUNT(*) AS n FROM org_keys').get() as { n: number }).n,
    }
  } finally {
    db.close()
  }
}

describe('a failed start', () => {
  test('port in use: one line naming --port / LECTR_PORT and the host, exit 2, no credential made; the next start prints both and they work', async () => {
    const busy = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('busy') })
    const dbPath = join(dir, 'port.db')
    const port = busy.port
    const line = expectOnePlainLine(failedStart({ LECTR_PORT: String(port), LECTR_DB: dbPath }), '--port / LECTR_PORT')
    busy.stop(true)
    expect(line).toContain(`port ${port} on 127.0.0.1`)
    expect(line).toContain('in use')
    expect(credentialsIn(dbPath)).toEqual({ adminHash: false, orgKeys: 0 })

    const l = await spawnLectr({ LECTR_DB: dbPath })
    try {
      expect(l.adminToken).toStartWith('lectr_admin_')
      expect(l.orgKey).toStartWith('lectr_org_')
      expect(await chat(l.url, l.orgKey!)).toBe(200)
      expect(await orgs(l.url, l.adminToken!)).toBe(200)
      expect(await chat(l.url, 'lectr_org_wrong')).toBe(401)
      expect(await orgs(l.url, 'lectr_admin_wrong')).toBe(401)
    } finally {
      await l.stop()
    }
    // shown once: the next start prints neither, and the printed ones still work
    const again = await spawnLectr({ LECTR_DB: dbPath })
    try {
      expect(again.adminToken).toBeNull()
      expect(again.orgKey).toBeNull()
      expect(await chat(again.url, l.orgKey!)).toBe(200)
      expect(await orgs(again.url, l.adminToken!)).toBe(200)
    } finally {
      await again.stop()
    }
  })

  test('credentials made but never printed (the start died before printing): the next start replaces them and prints the new ones', async () => {
    const dbPath = join(dir, 'unshown.db')
    const parsed = parseConfig([], { LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: dbPath })
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
    // what main.ts does, minus printing (and credentialsShown)
    const first = await startServer(parsed.config, { log: () => {} })
    const lostKey = first.defaultOrgKey!
    const lostToken = first.generatedAdminToken!
    expect(lostKey).toStartWith('lectr_org_')
    expect(lostToken).toStartWith('lectr_admin_')
    await first.stop()

    const l = await spawnLectr({ LECTR_DB: dbPath })
    try {
      expect(l.adminToken).toStartWith('lectr_admin_')
      expect(l.orgKey).toStartWith('lectr_org_')
      expect(l.adminToken).not.toBe(lostToken)
      expect(l.orgKey).not.toBe(lostKey)
      expect(await chat(l.url, l.orgKey!)).toBe(200)
      expect(await orgs(l.url, l.adminToken!)).toBe(200)
      // the never-shown ones are gone, not just unused
      expect(await chat(l.url, lostKey)).toBe(401)
      expect(await orgs(l.url, lostToken)).toBe(401)
    } finally {
      await l.stop()
    }
    expect(credentialsIn(dbPath).orgKeys).toBe(1)
  })

  test('a configured admin token is never replaced; only the unshown org key is', async () => {
    const dbPath = join(dir, 'configured.db')
    const token = 'configured-admin-token-0123456789'
    const parsed = parseConfig([], { LECTR_HOST: '127.0.0.1', LECTR_PORT: '0', LECTR_DB: dbPath, LECTR_ADMIN_TOKEN: token })
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
    const first = await startServer(parsed.config, { log: () => {} })
    expect(first.generatedAdminToken).toBeNull()
    await first.stop()
    const l = await spawnLectr({ LECTR_DB: dbPath, LECTR_ADMIN_TOKEN: token })
    try {
      expect(l.adminToken).toBeNull()
      expect(l.orgKey).toStartWith('lectr_org_')
      expect(await orgs(l.url, token)).toBe(200)
      expect(await chat(l.url, l.orgKey!)).toBe(200)
    } finally {
      await l.stop()
    }
  })

  test('host that is not an address of this machine: one line naming --host / LECTR_HOST', () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a machine
    const line = expectOnePlainLine(failedStart({ LECTR_HOST: '192.0.2.1', LECTR_DB: join(dir, 'host.db') }), '--host / LECTR_HOST')
    expect(line).toContain('192.0.2.1')
  })

  describe('a database path that cannot be opened: one line naming --db / LECTR_DB, nothing created', () => {
    test('its directory does not exist (Lectr never creates directories)', () => {
      const missing = join(dir, 'no-such-dir')
      const line = expectOnePlainLine(failedStart({ LECTR_DB: join(missing, 'lectr.db') }), '--db / LECTR_DB')
      expect(line).toContain(missing)
      expect(line).toContain('does not exist')
      expect(existsSync(missing)).toBe(false)
    })
    test('its directory is not writable (run as an unprivileged user: root may write anywhere)', () => {
      chmodSync(dir, 0o755)
      const ro = join(dir, 'read-only')
      mkdirSync(ro, { mode: 0o555 })
      const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
      const p = Bun.spawnSync([...asNobody, process.execPath, main], { env: { ...baseEnv(), LECTR_DB: join(ro, 'lectr.db') }, cwd: '/', stdout: 'pipe', stderr: 'pipe' })
      const line = expectOnePlainLine({ code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }, '--db / LECTR_DB')
      expect(line).toContain(`${ro} is not writable`)
      expect(existsSync(join(ro, 'lectr.db'))).toBe(false)
    })
    test('its directory is not writable, not even by root (/proc)', () => {
      const line = expectOnePlainLine(failedStart({ LECTR_DB: '/proc/lectr-test.db' }), '--db / LECTR_DB')
      expect(line).toContain('/proc/lectr-test.db')
    })
    test('the path is a directory', () => {
      const d = join(dir, 'a-directory.db')
      mkdirSync(d)
      const line = expectOnePlainLine(failedStart({}, ['--db', d]), '--db / LECTR_DB')
      expect(line).toContain('is a directory')
    })
    test('the path is a file that is not a SQLite database (left as it was)', async () => {
      const f = join(dir, 'notes.txt')
      const text = 'these are my notes, not a database; '.repeat(10)
      writeFileSync(f, text)
      const line = expectOnePlainLine(failedStart({ LECTR_DB: f }), '--db / LECTR_DB')
      expect(line).toContain('not a SQLite database')
      expect(await Bun.file(f).text()).toBe(text)
    })
    test('a path under a file', () => {
      const f = join(dir, 'plain-file')
      writeFileSync(f, 'x')
      const line = expectOnePlainLine(failedStart({ LECTR_DB: join(f, 'lectr.db') }), '--db / LECTR_DB')
      expect(line).toContain('not a directory')
    })
  })

  test('bad setting values: one plain line each, naming the flag or env var and what it accepts', () => {
    const r = failedStart({ LECTR_DB: join(dir, 'never.db'), LECTR_RETENTION_DAYS: '0' }, ['--openai-base-url', 'notaurl', '--port', '99999'])
    expect(r.code).toBe(2)
    expect(r.err.trimEnd().split('\n')).toEqual([
      'lectr: cannot start, the settings have problems:',
      '  - --port: expected a whole number from 0 to 65535, got "99999"',
      '  - --openai-base-url: expected an http(s) URL, got "notaurl"',
      '  - LECTR_RETENTION_DAYS: expected a whole number of at least 1, got "0"',
    ])
    expect(existsSync(join(dir, 'never.db'))).toBe(false)
  })
})

describe('commands', () => {
  const run = (args: string[]) => {
    const p = Bun.spawnSync([process.execPath, main, ...args], { env: { PATH: process.env.PATH ?? '' }, cwd: dir })
    return { code: p.exitCode, out: p.stdout.toString() }
  }
  test('`lectr version` prints what --version prints', () => {
    const a = run(['version'])
    expect(a.code).toBe(0)
    expect(a.out).toBe(run(['--version']).out)
    expect(a.out.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
  test('`lectr help` prints what --help prints', () => {
    const a = run(['help'])
    expect(a.code).toBe(0)
    expect(a.out).toBe(run(['--help']).out)
    expect(a.out).toContain('lectr version')
    expect(a.out).toContain('--port')
  })
})
