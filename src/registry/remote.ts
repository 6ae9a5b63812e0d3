import { fetchRegistryDocument, type Validators } from './fetch-document'
import { redactUrl } from './url'

/** A reload's outcome: put in force, or the problems that kept the registry in force where it was. */
export type ReloadResult = { ok: true } | { ok: false; errors: string[] }

/** What `GET /api/registry` adds to the status when the registry comes from a URL. */
export interface RemoteStatus {
  /** the URL, without userinfo and with its query values redacted */
  url: string
  /** ISO 8601: the last check that got an answer or gave up (null: none yet) */
  checkedAt: string | null
  /** ISO 8601: the next scheduled check (null: none, Lectr is stopping) */
  nextCheckAt: string | null
}

export interface RemoteRegistryOptions {
  url: string
  allowPrivate: boolean
  refreshMs: number
  /** per check, redirects and body included */
  timeoutMs?: number
  maxBytes?: number
  clock: () => Date
  /** validates a fetched document and puts it in force when good (errors prefixed with `source`) */
  apply: (text: string, source: string) => ReloadResult
  /** the document in force is still the one served: clear any earlier error */
  confirm: () => void
  /** the check failed: keep the registry in force, show these */
  fail: (errors: string[]) => void
}

export const DEFAULT_FETCH_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

/**
 * A registry document at a URL, checked at start, every `refreshMs`, and on demand, with conditional requests.
 * Checks never overlap: one asked for while another runs starts when it ends (so a reload after an edit sees the
 * edit), and further asks share that one.
 *
 * @example
 * const remote = new RemoteRegistry({ url, allowPrivate: false, refreshMs: 6 * 3_600_000, clock, apply, confirm, fail })
 * await remote.check() // at start; schedules the next
 */
export class RemoteRegistry {
  readonly label: string
  private readonly options: RemoteRegistryOptions
  /** validators and text of the document in force: only a document that was accepted may answer a 304 */
  private accepted: { validators: Validators; text: string } | null = null
  private running: Promise<ReloadResult> | null = null
  private queued: Promise<ReloadResult> | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private checkedAt: string | null = null
  private nextCheckAt: string | null = null
  private closed = false
  private readonly stop = new AbortController()

  constructor(options: RemoteRegistryOptions) {
    this.options = options
    this.label = redactUrl(options.url)
  }

  get status(): RemoteStatus {
    return { url: this.label, checkedAt: this.checkedAt, nextCheckAt: this.nextCheckAt }
  }

  /** Fetches the document now (after a check in progress, if any) and schedules the next check. */
  check(): Promise<ReloadResult> {
    if (this.queued) return this.queued
    if (!this.running) return (this.running = this.runOnce())
    this.queued = this.running.then(() => {
      this.queued = null
      return (this.running = this.runOnce())
    })
    return this.queued
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.nextCheckAt = null
    this.stop.abort()
  }

  private async runOnce(): Promise<ReloadResult> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    try {
      return await this.fetchAndApply()
    } finally {
      this.running = null
      this.schedule()
    }
  }

  private async fetchAndApply(): Promise<ReloadResult> {
    const { options } = this
    const got = await fetchRegistryDocument(options.url, {
      validators: this.accepted?.validators ?? null,
      allowPrivate: options.allowPrivate,
      timeoutMs: options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
      signal: this.stop.signal,
    })
    if (this.closed) return { ok: true }
    this.checkedAt = options.clock().toISOString()
    if (got.kind === 'failed') {
      const errors = [`${this.label}: ${got.reason}`]
      options.fail(errors)
      return { ok: false, errors }
    }
    // A server without validators sends the same document again: nothing to load.
    if (got.kind === 'unchanged' || got.text === this.accepted?.text) {
      if (got.kind === 'document' && this.accepted) this.accepted = { text: got.text, validators: got.validators }
      options.confirm()
      return { ok: true }
    }
    const result = options.apply(got.text, this.label)
    if (result.ok) this.accepted = { text: got.text, validators: got.validators }
    return result
  }

  private schedule(): void {
    if (this.closed) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.check(), this.options.refreshMs)
    this.timer.unref?.()
    this.nextCheckAt = new Date(this.options.clock().getTime() + this.options.refreshMs).toISOString()
  }
}
