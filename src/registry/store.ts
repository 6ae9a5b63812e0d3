import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { dirname } from 'node:path'
import { builtinRegistry, parseRegistry } from './load'
import { RemoteRegistry, type ReloadResult, type RemoteStatus } from './remote'
import type { Registry, RegistryFile } from './schema'

export interface RegistryStatus extends Partial<RemoteStatus> {
  /** `builtin`, the path of the file or the (redacted) URL the registry in force came from */
  source: 'builtin' | string
  version: string
  /** ISO 8601: when the registry in force was loaded */
  loadedAt: string
  /** the problems of the last load attempt, null when it succeeded */
  lastError: string[] | null
}

export interface RegistryStoreOptions {
  /** a registry file; absent: the built-in registry */
  path?: string
  /** a registry document at a URL, fetched by `start()` and every `refreshMinutes` (exclusive with `path`) */
  url?: {
    href: string
    refreshMinutes: number
    allowPrivate: boolean
    /** per check (default 10 s) */
    timeoutMs?: number
    /** largest document accepted (default 5 MiB) */
    maxBytes?: number
  }
  clock?: () => Date
  log?: (line: string) => void
}

/** Editors write a file in several steps (truncate, write, rename); one reload after they settle. */
const WATCH_DEBOUNCE_MS = 50

/**
 * The registry in force. A file that fails to load never takes the proxy down: the last good registry stays,
 * and before any good file the built-in one is used; the problems show in `status.lastError`.
 *
 * @example
 * const store = new RegistryStore({ path: process.env.LECTR_REGISTRY, log: console.log })
 * store.watch()
 * detectProvider(store.current(), model, header)
 */
export class RegistryStore {
  private registry: Registry
  private overlay: (registry: Registry) => Registry = (registry) => registry
  private overlaid: { base: Registry; priced: Registry } | null = null
  private statusNow: RegistryStatus
  private readonly path: string | undefined
  private readonly clock: () => Date
  private readonly log: (line: string) => void
  /** what the last read found (null: unreadable), so that directory events that changed nothing are ignored */
  private lastRead: string | null | undefined = undefined
  private watcher: FSWatcher | null = null
  private debounce: ReturnType<typeof setTimeout> | null = null
  private readonly remote: RemoteRegistry | null = null

  constructor(options: RegistryStoreOptions = {}) {
    this.path = options.path
    this.clock = options.clock ?? (() => new Date())
    this.log = options.log ?? (() => {})
    this.registry = builtinRegistry()
    this.statusNow = this.statusFor('builtin', null)
    if (options.url) {
      if (this.path) throw new Error('a registry file and a registry URL are exclusive')
      this.remote = new RemoteRegistry({
        url: options.url.href,
        allowPrivate: options.url.allowPrivate,
        refreshMs: Math.round(options.url.refreshMinutes * 60_000),
        timeoutMs: options.url.timeoutMs,
        maxBytes: options.url.maxBytes,
        clock: this.clock,
        apply: (text, source) => this.apply(text, source),
        confirm: () => {
          if (this.statusNow.lastError) this.log(`registry: ${this.remote!.label} answers again; version ${this.registry.version} stays in force`)
          this.statusNow = { ...this.statusNow, lastError: null }
        },
        fail: (errors) => void this.reject(errors),
      })
    }
    if (this.path) this.reload()
  }

  /** With a URL: the first fetch (the built-in registry stays, with the error, when it fails), and the timer. */
  async start(): Promise<void> {
    if (this.remote) await this.remote.check()
  }

  /** The registry to use for this request, with the price overrides over it. Cheap: read it per request, do not keep it. */
  current(): Registry {
    // Rebuilt only when the registry was replaced (any reload) or the overlay changed.
    if (this.overlaid?.base !== this.registry) this.overlaid = { base: this.registry, priced: this.overlay(this.registry) }
    return this.overlaid.priced
  }

  /** What `current()` puts over the registry in force (the admin's price overrides, src/registry/overrides.ts). */
  setOverlay(overlay: (registry: Registry) => Registry): void {
    this.overlay = overlay
    this.overlaid = null
  }

  get status(): RegistryStatus {
    return this.remote ? { ...this.statusNow, ...this.remote.status } : this.statusNow
  }

  /** `POST /api/registry/reload`, SIGHUP: reads the file again, or fetches the URL now. */
  refresh(): Promise<ReloadResult> {
    return this.remote ? this.remote.check() : Promise.resolve(this.reload())
  }

  /**
   * Reads the file again (the watcher; `refresh()` for callers that also want a URL fetched and its outcome).
   * With a URL it only starts a fetch. Without either there is nothing to do.
   */
  reload(): ReloadResult {
    if (this.remote) void this.remote.check()
    if (!this.path) return { ok: true }
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (error) {
      this.lastRead = null
      return this.reject([`${this.path}: cannot read the file: ${(error as Error).message}`])
    }
    this.lastRead = text
    return this.apply(text, this.path)
  }

  /** Validates a document (from the file or the URL) and puts it in force when good. */
  private apply(text: string, source: string): ReloadResult {
    const result = parseRegistry(text, source)
    if (!result.ok) return this.reject(result.errors)
    this.registry = result.registry
    this.statusNow = this.statusFor(source, null)
    this.log(`registry: loaded ${source} (version ${this.registry.version}, ${this.registry.models.size} models)`)
    return { ok: true }
  }

  /**
   * Reloads when the file changes. Watches the directory, not the file: editors and Kubernetes ConfigMaps
   * replace the file (rename, symlink swap), which a watch on the file itself would not survive.
   */
  watch(): void {
    if (!this.path || this.watcher) return
    try {
      this.watcher = watch(dirname(this.path), () => this.scheduleCheck())
    } catch (error) {
      this.log(`registry: cannot watch ${this.path}: ${(error as Error).message}; reload with SIGHUP or the API`)
    }
  }

  /** Stops watching. */
  close(): void {
    this.watcher?.close()
    this.watcher = null
    this.remote?.close()
    if (this.debounce) clearTimeout(this.debounce)
    this.debounce = null
  }

  /** `GET /api/registry`: the registry in force in the file's own format, plus its status. */
  toJSON(): RegistryFile & { status: RegistryStatus } {
    return { ...this.registry.file, status: this.status }
  }

  private scheduleCheck(): void {
    if (this.debounce) clearTimeout(this.debounce)
    this.debounce = setTimeout(() => {
      this.debounce = null
      if (this.watcher) this.reloadIfChanged()
    }, WATCH_DEBOUNCE_MS)
  }

  /** Any event in the directory lands here; only a change of this file's content reloads. */
  private reloadIfChanged(): void {
    let text: string | null
    try {
      text = readFileSync(this.path!, 'utf8')
    } catch {
      text = null
    }
    if (text !== this.lastRead) this.reload()
  }

  private reject(errors: string[]): ReloadResult {
    this.statusNow = { ...this.statusNow, lastError: errors }
    this.log(`registry: ${this.path ?? this.remote?.label} rejected, keeping ${this.statusNow.source} version ${this.statusNow.version}:\n  ${errors.join('\n  ')}`)
    return { ok: false, errors }
  }

  private statusFor(source: string, lastError: string[] | null): RegistryStatus {
    return { source, version: this.registry.version, loadedAt: this.clock().toISOString(), lastError }
  }
}
