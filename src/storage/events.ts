import type { LectrEvent, ProviderId, Task } from '../domain'
import type { EventSink } from '../events/sink'

/**
 * Which events: each field null matches every event. `status` is one HTTP status (the events API's filter),
 * `statusClass` the dashboard's (ok: below 400, error: 400 and above); `since` inclusive, `until` exclusive (epoch ms).
 */
export interface EventFilter {
  provider: ProviderId | null
  model: string | null
  feature: string | null
  task: Task | null
  status: number | null
  statusClass: 'ok' | 'error' | null
  since: number | null
  until: number | null
}

/** The filter that matches every event. */
export const ALL_EVENTS: EventFilter = {
  provider: null, model: null, feature: null, task: null, status: null, statusClass: null, since: null, until: null,
}

/** A page of events, newest first; `next` is the cursor of the following (older) page, null on the last. */
export interface EventPage {
  events: LectrEvent[]
  next: string | null
}

/** Options of the dashboard's bounded listing (see `EventStore.browse`). */
export interface BrowseOptions {
  /** the page size (50 by default) */
  limit?: number
  /** at most this many events are read for one filtered page; a page that runs out ends early */
  scanBudget?: number
  /** now (epoch ms): the day it falls in is never skipped */
  now: number
  /** for a finished UTC day (its first ms): false when no event of it can match, so the listing skips it unread */
  dayMayMatch?: (day: number) => boolean | Promise<boolean>
}

/** A model requests were sent to without a price (SPEC section 12): the Registry page offers to add one. */
export interface UnpricedModel {
  provider: string
  model: string
  /** requests that could not be priced */
  unpricedRequests: number
  /** every request to it in the window */
  requests: number
}

/** An arm's sums as a store reads them; `armRow` rounds them as the API answers. */
export interface ArmSums {
  ruleId: string
  arm: 'canary' | 'control'
  requests: number
  errors: number
  avgLatencyMs: number
  avgOutputTokens: number | null
  costUsd: number
  baselineCostUsd: number
}

/** One routing rule's arm over a window (SPEC section 9), as the API and the dashboard's Routing page show it. */
export interface ArmRow extends ArmSums {
  costPerRequestUsd: number
}

export function armRow(r: ArmSums): ArmRow {
  return {
    ...r,
    avgLatencyMs: Math.round(r.avgLatencyMs * 100) / 100,
    avgOutputTokens: r.avgOutputTokens === null ? null : Math.round(r.avgOutputTokens * 100) / 100,
    costUsd: Math.round(r.costUsd * 1e10) / 1e10,
    costPerRequestUsd: Math.round((r.costUsd / r.requests) * 1e10) / 1e10,
    baselineCostUsd: Math.round(r.baselineCostUsd * 1e10) / 1e10,
  }
}

/**
 * The event log: the writer appends to it (`EventSink`), the admin API, the dashboard and retention read and prune
 * it. Every read is async (Postgres answers later; SQLite does the work inside, synchronously). Reads see what is
 * stored: a read that must include the events of requests already answered awaits `eventsWritten()` first.
 */
export interface EventStore extends EventSink {
  /** The events API: an org's events matching `filter`, newest first (ids are UUIDv7: id order is time order), `limit` after `cursor`. */
  list(org: string, filter: EventFilter, page: { limit: number; cursor: string | null }): Promise<EventPage>
  /**
   * The dashboard's Events page: like `list`, but a filtered page reads a bounded number of events (skipping the
   * hours without matches), so a rare filter gives shorter pages, each still fast; `next` goes on where it stopped.
   */
  browse(org: string, filter: EventFilter, cursor: string | null, opts: BrowseOptions): Promise<EventPage>
  /** One event of an org, or null. */
  get(org: string, id: string): Promise<LectrEvent | null>
  /**
   * An org's events matching `filter`, newest first, a page per `next()` (a page may be empty while the rest is
   * searched): read only when asked, so an export's memory stays flat. `return()` releases what the read holds.
   */
  exportPages(org: string, filter: EventFilter): AsyncIterableIterator<LectrEvent[]>
  /** The models seen without a price since `since` (epoch ms), across every org, most unpriced requests first. */
  unpricedModels(since: number, limit?: number): Promise<UnpricedModel[]>
  /** Each routing rule's canary and control arms in [since, until) (null ends: unbounded), by rule id then arm. */
  arms(org: string, since: number | null, until: number | null): Promise<ArmRow[]>
  /**
   * Retention: removes raw events older than `olderThan` a slice at a time, yielding between slices; `stopped` is
   * asked before every further slice. Roll-ups stay. Resolves with how many were removed.
   */
  prune(olderThan: number, opts?: { slice?: number; stopped?: () => boolean }): Promise<number>
}
