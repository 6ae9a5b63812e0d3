// Placeholder (replaced at merge by the pgsettings branch's watchChanges): lets the wiring compile.
import type { SQL } from 'bun'

/** What changed: the part of memory to read again. */
export type ChangeArea = 'orgs' | 'routing' | 'price-overrides' | 'admin-token'

export interface ChangeWatch {
  ready: Promise<void>
  stop(): Promise<void>
}

export function watchChanges(_sql: SQL, _onChange: (area: ChangeArea) => void | Promise<void>, _opts: { pollMs?: number; log?: (line: string) => void } = {}): ChangeWatch {
  throw new Error('not built yet')
}
