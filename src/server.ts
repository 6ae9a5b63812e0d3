import type { LectrEvent } from './domain'
import { inflightCounter } from './net/inflight'
import { startRetention } from './operations/retention'
import { createApp } from './app'
import type { Config } from './config'
import { EventWriter } from './events/writer'
import { IDLE_TIMEOUT_SECONDS } from './proxy/connection-timeouts'
import { RegistryStore } from './registry/store'
import { listenProblem } from './start-problems'
import { log as lectrLog, logAccess } from './log'
import { MetricsCollector, parseMetricsLabels } from './metrics/collector'
import { observed } from './metrics/observe'
import { VERSION } from './version'
import type { Storage } from './storage'
import { openStorage } from './storage/open'


/** A running Lectr: the listening server and what a clean stop needs. Started by main.ts and by the tests. */
export interface Running {
  url: string
  port: number
  /** the org key of `default`, only when this start created it (or replaced one that was never shown) */
  defaultOrgKey: string | null
  /** the admin token, only when this start generated it (or replaced one that was never shown) */
  generatedAdminToken: string | null
  /** call once the two above are printed; until then the next start replaces them and prints the new ones */
  credentialsShown(): Promise<void>
  writer: EventWriter
  registry: RegistryStore
  /** what this instance stores; `refreshInForce(storage)` re-reads what the proxy keeps in memory */
  storage: Storage
  /** what the database is, for the banner: the SQLite path, or Postgres and its URL without the password */
  database: string
  /** stop taking requests, let in-flight ones finish (up to drainSeconds), write every event, close */
  drain(): Promise<void>
  /** stop at once (tests) */
  stop(): Promise<void>
}

export async function startServer(config: Config, opts: { log?: (line: string) => void; fetch?: typeof fetch } = {}): Promise<Running> {
  const log = opts.log ?? ((l: string) => (/rejected|cannot/.test(l) ? lectrLog.warn('reload', l) : lectrLog.info('reload', l)))
  const opened = await openStorage(config)
  const { storage } = opened
  // Credentials are made only once the port is bound (below): a start that fails to listen leaves none behind.
  let admin: { hash: string; generated: string | null } = { hash: '', generated: null }
  const registry = registryOf(config, log)
  // Before listening, so the first requests are priced with it; a failed fetch leaves the built-in one, never stops the start.
  await registry.start()
  const writer = new EventWriter(storage.events, {
    maxQueued: config.eventBuffer,
    spillPath: opened.spillPath,
    log: (l) => lectrLog.error('error', l),
  })

  const inflight = inflightCounter()
  const metrics = new MetricsCollector({ version: VERSION, registry: () => registry.current(), extraLabels: parseMetricsLabels(config.metricsLabels) })
  const enqueue = (e: LectrEvent, complete?: () => void) => writer.enqueue(e, complete)
  const app = createApp({
    config, storage, registry, version: VERSION,
    record: config.eventLog ? observed(enqueue, metrics, config.accessLog ? logAccess : null) : null,
    metrics: () => {
      const h = writer.health()
      return metrics.render({ inFlight: inflight.count, queueDepth: h.queued + h.spilled, dropped: h.dropped + h.overflowed })
    },
    // A read waits for the writer's next turn(s) to store what was queued before it; it never writes itself.
    eventsWritten: () => writer.whenWritten(),
    eventLogHealth: () => writer.health(),
    adminTokenHash: () => admin.hash,
    fetch: opts.fetch,
    inflight,
  })
  try {
    app.listen(listenOptions(config))
  } catch (err) {
    registry.close()
    await writer.close()
    await opened.close()
    throw listenProblem(err as Error & { code?: string }, config.host, config.port)
  }
  const server = app.server!
  // Right after listen. Until the admin hash is in place no admin token matches (the hash is empty) and no org key
  // exists yet, so a request that comes first is refused, never let in.
  const defaultOrgKey = await storage.orgs.ensureDefault()
  admin = await storage.settings.adminToken.resolve(config.adminToken)
  // Changes made elsewhere while this runs (`lectr admin-token reset`, `lectr keys create`, another instance) hold within ~1 s.
  const external = opened.watch(async () => {
    admin.hash = (await storage.settings.adminToken.storedHash()) ?? admin.hash
  })

  const retention = startRetention(storage.events, config.retentionDays, (l) => lectrLog.error('error', l))
  let closed = false

  const close = async (force: boolean) => {
    if (closed) return
    closed = true
    retention.stop()
    await external.stop()
    registry.close()
    if (force) inflight.close()
    await server.stop(force)
    // Requests cut by the forced stop (still waiting for the provider, or mid-stream) record their event as they
    // unwind: wait for them (briefly) so the writer's last flush includes them.
    await inflight.settled(2000)
    // Waits for a batch in flight (an async store), then writes the rest.
    await writer.close()
    await opened.close()
  }

  return {
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${server.port}`,
    port: server.port!,
    defaultOrgKey,
    generatedAdminToken: admin.generated,
    async credentialsShown() {
      if (defaultOrgKey) await storage.orgs.markDefaultKeyShown()
      if (admin.generated) await storage.settings.adminToken.markShown()
    },
    writer,
    registry,
    storage,
    database: opened.describe,
    async drain() {
      const stopping = server.stop(false)
      await inflight.settled(config.drainSeconds * 1000)
      void stopping
      await close(true)
    },
    stop: () => close(true),
  }
}

/** The registry in force: a file (watched), a URL (fetched on a timer) or the built-in one. */
function registryOf(config: Config, log: (line: string) => void): RegistryStore {
  const registry = new RegistryStore({
    path: config.registry ?? undefined,
    url: config.registryUrl
      ? { href: config.registryUrl, refreshMinutes: config.registryRefreshMinutes, allowPrivate: config.allowPrivateUpstreams }
      : undefined,
    log,
  })
  if (config.registry) registry.watch()
  return registry
}

function listenOptions(config: Config) {
  return {
    hostname: config.host,
    port: config.port,
    // Elysia's defaults would let a second process share the port and would serve Bun's development error pages.
    reusePort: false,
    development: false,
    // Lectr enforces its own body limit (with a 413 in the OpenAI shape and an event), so Bun's must be higher.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Bun's default, named because the proxy restores it on a connection after each answer (connection-timeouts.ts).
    idleTimeout: IDLE_TIMEOUT_SECONDS,
  }
}
