import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtinRegistry } from '../../src/registry/load'
import { RegistryStore } from '../../src/registry/store'

const dir = mkdtempSync(join(tmpdir(), 'lectr-registry-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const builtin = builtinRegistry()
const clock = () => new Date('2026-11-28T12:00:00.000Z')
let fileCount = 0
const stores: RegistryStore[] = []
afterEach(() => stores.splice(0).forEach((store) => store.close()))

/** The built-in registry under another version, so a test can tell which file is in force. */
function registryText(version: string): string {
  return JSON.stringify({ ...builtin.file, version })
}

function newFile(text: string): string {
  const path = join(dir, `registry-${++fileCount}.json`)
  writeFileSync(path, text)
  return path
}

function newStore(path?: string): { store: RegistryStore; logs: string[] } {
  const logs: string[] = []
  const store = new RegistryStore({ path, clock, log: (line) => logs.push(line) })
  stores.push(store)
  return { store, logs }
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the registry to reload')
    await Bun.sleep(10)
  }
}

describe('RegistryStore', () => {
  test('without a file: the built-in registry', () => {
    const { store } = newStore()
    expect(store.current()).toBe(builtin)
    expect(store.status).toEqual({ source: 'builtin', version: builtin.version, loadedAt: '2026-11-28T12:00:00.000Z', lastError: null })
    expect(store.reload()).toEqual({ ok: true })
  })

  test('a good file is in force', () => {
    const path = newFile(registryText('file-1'))
    const { store, logs } = newStore(path)
    expect(store.current().version).toBe('file-1')
    expect(store.status).toMatchObject({ source: path, version: 'file-1', lastError: null })
    expect(logs[0]).toContain('loaded')
  })

  test('a bad first file: the built-in registry, with the error', () => {
    const path = newFile('{"version": ')
    const { store } = newStore(path)
    expect(store.current()).toBe(builtin)
    expect(store.status.source).toBe('builtin')
    expect(store.status.lastError?.[0]).toStartWith(`${path}: invalid JSON`)
  })

  test('a missing first file: the built-in registry, with the error', () => {
    const path = join(dir, 'does-not-exist.json')
    const { store } = newStore(path)
    expect(store.current()).toBe(builtin)
    expect(store.status.lastError?.[0]).toStartWith(`${path}: cannot read the file`)
  })

  test('a bad reload keeps the last good registry; a good one clears the error', () => {
    const path = newFile(registryText('good-1'))
    const { store } = newStore(path)
    writeFileSync(path, JSON.stringify({ ...builtin.file, version: 'bad', models: [{ id: 'x' }] }))
    const bad = store.reload()
    expect(bad.ok).toBe(false)
    expect(store.current().version).toBe('good-1')
    expect(store.status).toMatchObject({ source: path, version: 'good-1' })
    expect(store.status.lastError).toEqual(bad.ok ? null : bad.errors)

    writeFileSync(path, registryText('good-2'))
    expect(store.reload()).toEqual({ ok: true })
    expect(store.status).toMatchObject({ version: 'good-2', lastError: null })
  })

  test('toJSON is the registry file plus its status', () => {
    const { store } = newStore()
    const json = JSON.parse(JSON.stringify(store))
    expect(json.version).toBe(builtin.version)
    expect(json.models).toHaveLength(builtin.models.size)
    expect(json.status).toEqual(store.status)
  })

  test('watch: reloads when an editor replaces the file, keeps the last good one on a broken save', async () => {
    const path = newFile(registryText('watch-1'))
    const { store } = newStore(path)
    store.watch()

    // Editors save by writing a temporary file and renaming it over the original.
    writeFileSync(`${path}.tmp`, registryText('watch-2'))
    renameSync(`${path}.tmp`, path)
    await waitFor(() => store.current().version === 'watch-2')

    writeFileSync(path, '{ broken')
    await waitFor(() => store.status.lastError !== null)
    expect(store.current().version).toBe('watch-2')

    writeFileSync(path, registryText('watch-3'))
    await waitFor(() => store.current().version === 'watch-3')
    expect(store.status.lastError).toBeNull()
  })
})
