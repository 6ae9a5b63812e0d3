/**
 * Lectr's app in memory (no socket), with a clock the test moves: for sign-in throttling, session expiry and
 * anything else that depends on time. Requests go through `app.handle`.
 */
import { openDatabase } from '../../src/db/open'
import { createApp } from '../../src/app'
import { hashSecret } from '../../src/auth/secrets'
import { parseConfig } from '../../src/config'
import type { OrgRepository } from '../../src/storage/orgs'
import { openSqliteStorage, type Storage } from '../../src/storage'
import { RegistryStore } from '../../src/registry/store'
import { ADMIN_TOKEN } from '../helpers/lectr'
import { Client } from './_client'

export interface MemoryLectr {
  app: ReturnType<typeof createApp>
  db: ReturnType<typeof openDatabase>
  orgs: OrgRepository
  storage: Storage
  registry: RegistryStore
  /** the clock the app reads; move it with `advance` */
  now: { ms: number }
  advance(ms: number): void
  client(): Client
}

export function memoryLectr(opts: { allowPrivateUpstreams?: boolean; start?: string; registryPath?: string } = {}): MemoryLectr {
  const parsed = parseConfig([], { LECTR_DB: ':memory:', LECTR_ADMIN_TOKEN: ADMIN_TOKEN })
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  const config = { ...parsed.config, allowPrivateUpstreams: opts.allowPrivateUpstreams ?? false }
  const db = openDatabase(':memory:')
  const now = { ms: Date.parse(opts.start ?? '2025-03-14T12:30:00Z') }
  const clock = () => new Date(now.ms)
  const storage = openSqliteStorage(db, { clock, rollups: { now: () => clock().getTime() } })
  const orgs = storage.orgs
  // SQLite's store does its work before its first await: the default org exists once this returns.
  void orgs.ensureDefault()
  const registry = new RegistryStore({ path: opts.registryPath, clock })
  const app = createApp({
    config, storage, registry, record: null, eventsWritten: async () => {}, adminTokenHash: () => hashSecret(ADMIN_TOKEN), version: 'test', clock,
  })
  return { app, db, orgs, storage, registry, now, advance: (ms) => void (now.ms += ms), client: () => Client.memory(app) }
}
