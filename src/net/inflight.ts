/**
 * Requests in flight, counted so that a drain can wait for them: the proxy calls `add` and `done`; `closing` is set
 * once a forced stop has begun, so what it cuts is recorded as `lectr_shutdown`, not as a client that left.
 */
export interface Inflight {
  readonly closing: boolean
  add(): void
  done(): void
}

export interface InflightCounter extends Inflight {
  readonly count: number
  /** From now on, what is cut is the stop's doing. */
  close(): void
  /** Resolves when no request is in flight, or after `ms`. */
  settled(ms: number): Promise<void>
}

export function inflightCounter(): InflightCounter {
  let count = 0
  let closing = false
  let idle: (() => void) | null = null
  return {
    get count() {
      return count
    },
    get closing() {
      return closing
    },
    add: () => void count++,
    done: () => {
      count--
      if (count === 0 && idle) idle()
    },
    close: () => void (closing = true),
    async settled(ms) {
      if (count === 0) return
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([new Promise<void>((r) => (idle = r)), new Promise<void>((r) => (timer = setTimeout(r, ms)))])
      clearTimeout(timer)
      idle = null
    },
  }
}
