import type { SQL } from 'bun'

/**
 * Change propagation between instances on one database (SPEC section 10: a change in force everywhere within 2 s).
 * Every write to what the proxy keeps in memory runs `recordChange` in its own transaction: a NOTIFY on
 * `lectr_changes` (delivered on commit, never on rollback) and a bump of `meta.change_version`. Each instance
 * `watchChanges`: it hears the notifications, and also reads the version every second, because notifications sent
 * while its listening connection was down are lost (and a pooler may not carry LISTEN at all).
 */
export const CHANGES_CHANNEL = 'lectr_changes'
export const CHANGE_VERSION_KEY = 'change_version'

/** What changed: the part of memory to read again. */
export type ChangeArea = 'orgs' | 'routing' | 'price-overrides' | 'admin-token'
export const CHANGE_AREAS: readonly ChangeArea[] = ['orgs', 'routing', 'price-overrides', 'admin-token']

const isArea = (s: string): s is ChangeArea => (CHANGE_AREAS as readonly string[]).includes(s)

/**
 * Inside the writing transaction, as its last statement: the version's row lock is then held only until the
 * commit that follows, so no two writers can wait on each other through it.
 */
export async function recordChange(tx: SQL, area: ChangeArea): Promise<void> {
  await tx`INSERT INTO meta (key, value) VALUES (${CHANGE_VERSION_KEY}, '1')
    ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`
  await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${area})`
}

export interface ChangeWatch {
  /** resolves once the first LISTEN was acknowledged (or failed: the poll carries on and listening is tried again) */
  ready: Promise<void>
  /** no more listening or polling; resolves once the `onChange` calls under way have finished */
  stop(): Promise<void>
}

export interface WatchOptions {
  /** how often the version is read (ms); 1 s */
  pollMs?: number
  /** where a failing `onChange` is told */
  log?: (line: string) => void
}

/**
 * Calls `onChange(area)` when another instance (or this one) changed `area`: on its notification, and for every
 * area when the version moved without one reaching us, at the first read of the version, and each time the
 * listening connection is (re)established (what was sent while it was down is lost).
 */
export function watchChanges(sql: SQL, onChange: (area: ChangeArea) => void | Promise<void>, opts: WatchOptions = {}): ChangeWatch {
  const pollMs = opts.pollMs ?? 1000
  const log = opts.log ?? ((line: string) => console.error(line))
  let stopped = false
  let seen: string | null = null
  let subscription: SQL.ListenSubscription | null = null
  let subscribing: Promise<void> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let polling: Promise<void> = Promise.resolve()

  const running = new Set<Promise<void>>()
  const changed = (area: ChangeArea) => {
    if (stopped) return
    const p: Promise<void> = Promise.resolve()
      .then(() => onChange(area))
      .catch((err) => log(`lectr: reading changes made elsewhere (${area}) failed: ${(err as Error).message}`))
      .finally(() => running.delete(p))
    running.add(p)
  }
  const everything = () => {
    for (const area of CHANGE_AREAS) changed(area)
  }

  const subscribe = (): Promise<void> => {
    subscribing ??= sql
      .listen(CHANGES_CHANNEL, (payload) => (isArea(payload) ? changed(payload) : everything()), everything)
      .then(async (sub) => {
        if (stopped) await sub.unlisten()
        else subscription = sub
      })
      .catch(() => {
        // The database is away: the poll notices when it is back, and listening is tried again from there.
        subscribing = null
      })
    return subscribing
  }

  const poll = async () => {
    try {
      const [row] = await sql`SELECT value FROM meta WHERE key = ${CHANGE_VERSION_KEY}`
      const version = (row as { value: string } | undefined)?.value ?? '0'
      if (version !== seen) {
        seen = version
        everything()
      }
    } catch {
      // away: the next poll tries again
    }
    if (!subscribing && !stopped) void subscribe()
  }
  const tick = async () => {
    polling = poll()
    await polling
    if (!stopped) {
      timer = setTimeout(tick, pollMs)
      timer.unref?.()
    }
  }

  const ready = subscribe()
  void tick()
  return {
    ready,
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await polling
      await subscribing
      await subscription?.unlisten()
      subscription = null
      // what was heard before the stop is read to the end: nothing is called after stop() resolves
      await Promise.all(running)
    },
  }
}
