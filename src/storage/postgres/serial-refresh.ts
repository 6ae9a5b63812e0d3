/**
 * Re-reads of what a store keeps in memory, one at a time, never applying a stale one. With an async database two
 * reads can overlap, and one that started before a change could finish after a read that saw it (and undo it in
 * memory); a store's own write, put in memory after its commit, could likewise be undone by a read that began
 * before the commit. So: one read at a time; calls made while one runs share the next; and a read during which the
 * store wrote itself (`wrote()`) is discarded and done again.
 */
export class SerialRefresh {
  private current: Promise<void> | null = null
  private next: Promise<void> | null = null
  private writes = 0

  /** `read` reads everything and returns what puts it in memory (called only when nothing was written meanwhile). */
  constructor(private readonly read: () => Promise<() => void>) {}

  /** The store changed memory after its own write: a read under way may predate it. */
  wrote(): void {
    this.writes++
  }

  /** Resolves once a read that started after this call is in memory. */
  run(): Promise<void> {
    if (this.next) return this.next
    if (!this.current) return this.start()
    const after = this.current.catch(() => {})
    this.next = after.then(() => {
      this.next = null
      return this.start()
    })
    return this.next
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.readUntilCurrent().finally(() => {
      if (this.current === p) this.current = null
    })
    this.current = p
    return p
  }

  private async readUntilCurrent(): Promise<void> {
    for (;;) {
      const writes = this.writes
      const apply = await this.read()
      if (writes === this.writes) return apply()
    }
  }
}
