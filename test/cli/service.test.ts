import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemdUnit } from '../../src/cli/service'

const main = join(import.meta.dir, '../../src/main.ts')

/** The unit's sections, each a list of [key, value] in order (comments and blank lines left out). */
function parseUnit(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>()
  let current: [string, string][] | null = null
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue
    const head = line.match(/^\[(\w+)\]$/)
    if (head) {
      current = []
      sections.set(head[1]!, current)
      continue
    }
    const eq = line.indexOf('=')
    expect(eq).toBeGreaterThan(0)
    expect(current).not.toBeNull()
    current!.push([line.slice(0, eq), line.slice(eq + 1)])
  }
  return sections
}

function printUnit(env: Record<string, string> = {}) {
  const p = Bun.spawnSync([process.execPath, main, 'service'], { env: { PATH: process.env.PATH ?? '', ...env } })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

describe('lectr service', () => {
  test('prints a hardened unit that starts this Bun and entry file, with every hardening key', () => {
    const r = printUnit()
    expect(r.code).toBe(0)
    const unit = parseUnit(r.out)
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install'])
    const service = new Map(unit.get('Service'))
    expect(service.get('ExecStart')).toBe(`${process.execPath} ${main} serve`)
    const want: Record<string, string> = {
      DynamicUser: 'yes', StateDirectory: 'lectr', NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes',
      PrivateTmp: 'yes', PrivateDevices: 'yes', ProtectKernelTunables: 'yes', ProtectKernelModules: 'yes', ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes', RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX', LockPersonality: 'yes',
      SystemCallFilter: '@system-service', CapabilityBoundingSet: '', AmbientCapabilities: '', Restart: 'on-failure',
      KillSignal: 'SIGTERM', Environment: 'LECTR_DB=/var/lib/lectr/lectr.db',
    }
    for (const [k, v] of Object.entries(want)) expect(`${k}=${service.get(k)}`).toBe(`${k}=${v}`)
    // Left out on purpose (JavaScriptCore's JIT), and the unit says why.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false)
    expect(r.out).toContain('MemoryDenyWriteExecute=yes is left out on purpose')
    expect(Number(service.get('TimeoutStopSec'))).toBeGreaterThan(30)
    expect(new Map(unit.get('Install')).get('WantedBy')).toBe('multi-user.target')
  })

  test('TimeoutStopSec outlasts the configured drain', () => {
    const service = new Map(parseUnit(printUnit({ LECTR_DRAIN_SECONDS: '120' }).out).get('Service'))
    expect(Number(service.get('TimeoutStopSec'))).toBeGreaterThan(120)
  })

  test('a compiled binary starts alone; a path with a space is quoted; a binary under /home is warned about', () => {
    expect(systemdUnit({ executable: '/usr/local/bin/lectr', script: null })).toContain('\nExecStart=/usr/local/bin/lectr serve\n')
    expect(systemdUnit({ executable: '/opt/my apps/lectr', script: null })).toContain('\nExecStart="/opt/my apps/lectr" serve\n')
    expect(systemdUnit({ executable: '/home/me/lectr', script: null })).toContain('WARNING')
    expect(systemdUnit({ executable: '/usr/local/bin/lectr', script: null })).not.toContain('WARNING')
  })

  test('systemd-analyze verify accepts the unit without a warning', () => {
    const analyze = Bun.which('systemd-analyze')
    expect(analyze === null || analyze.length > 0).toBe(true)
    if (!analyze) return
    const dir = mkdtempSync(join(tmpdir(), 'lectr-unit-'))
    try {
      const file = join(dir, 'lectr.service')
      writeFileSync(file, printUnit().out)
      const v = Bun.spawnSync([analyze, 'verify', file])
      expect(v.stderr.toString() + v.stdout.toString()).toBe('')
      expect(v.exitCode).toBe(0)
      // ... and it does check: a wrong key is reported
      writeFileSync(file, printUnit().out.replace('LockPersonality=yes', 'LockPersonality=yes\nNoSuchKey=1'))
      expect(Bun.spawnSync([analyze, 'verify', file]).stderr.toString()).toContain('NoSuchKey')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
