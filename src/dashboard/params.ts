/** Query parameters as the pages accept them: anything unknown falls back to the default, never an error page. */
import { TASKS } from '../domain'
import { PROVIDER_IDS } from '../registry/schema'
import { MODEL_SORTS, RANGES, type ModelSort, type Range, type SortDir, type StatusFilter } from '../../views/types'

const PROVIDERS: ReadonlySet<string> = new Set(PROVIDER_IDS)
const TASK_SET: ReadonlySet<string> = new Set(TASKS)

export function rangeParam(q: URLSearchParams, fallback: Range): Range {
  const v = q.get('range')
  return v && (RANGES as readonly string[]).includes(v) ? (v as Range) : fallback
}

export function providerParam(q: URLSearchParams): string | null {
  const v = q.get('provider')
  return v && PROVIDERS.has(v) ? v : null
}

export function taskParam(q: URLSearchParams): string | null {
  const v = q.get('task')
  return v && TASK_SET.has(v) ? v : null
}

export function statusParam(q: URLSearchParams): StatusFilter | null {
  const v = q.get('status')
  return v === 'ok' || v === 'error' ? v : null
}

export function sortParam(q: URLSearchParams): ModelSort {
  const v = q.get('sort')
  return v && (MODEL_SORTS as readonly string[]).includes(v) ? (v as ModelSort) : 'requests'
}

/** Numbers read best largest first; names A to Z. */
export function dirParam(q: URLSearchParams, sort: ModelSort): SortDir {
  const v = q.get('dir')
  if (v === 'asc' || v === 'desc') return v
  return sort === 'model' || sort === 'provider' ? 'asc' : 'desc'
}

/** A free-text filter (model id, feature tag): trimmed, at most 256 characters, null when empty. */
export function textParam(q: URLSearchParams, name: string): string | null {
  const v = q.get(name)?.trim()
  return v ? v.slice(0, 256) : null
}
