/**
 * How both roll-up stores put a window together from whole UTC days kept in memory and the partial days at its
 * edges (pure: no database). SQLite's `RollupDays` and Postgres's `PostgresRollupDays` differ only in how they read a
 * day and how they learn that a kept day changed; the pieces, the order they are merged in and the subtractions are
 * these, so both stores add the same floats in the same order and answer byte for byte alike.
 */
import { nextTurn } from '../event-loop'
import { CompactGroups } from './compact-groups'
import { addSums, subtractSums, type Group, type Span, type SpanParts } from './rollups'

/** A finished day as a cache keeps it: its groups compact (see CompactGroups). */
export type KeptDay = Omit<Span, 'groups'> & { groups: CompactGroups }

export function emptySpan(from: number, to: number): Span {
  return { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
}

/** Adds `span` (which must not overlap `into`) to `into`, widening it. */
export function mergeSpan(into: Span, span: Span | KeptDay): void {
  into.from = Math.min(into.from, span.from)
  into.to = Math.max(into.to, span.to)
  for (const [hour, sums] of span.hours) into.hours.set(hour, sums)
  for (const [hour, buckets] of span.latency) into.latency.set(hour, buckets)
  if (span.groups instanceof CompactGroups) return span.groups.addTo(into.groups)
  for (const [key, g] of span.groups) addGroup(into.groups, key, g)
}

function addGroup(into: Map<string, Group>, key: string, g: Group): void {
  const mine = into.get(key)
  if (mine) addSums(mine, g)
  else into.set(key, { ...g })
}

/**
 * Groups merged per turn of the event loop by `mergeSpanSliced`: a 30-day window at 10M events merges ~26,000
 * (11,880 groups of the whole days, ~6,000 of the first day's part, ~8,000 of today's), 10–35 ms in one go.
 */
const GROUPS_PER_TURN = 4000

/** `mergeSpan`, the same sums in the same order, a slice of the groups per turn of the event loop. */
export async function mergeSpanSliced(into: Span, span: Span | KeptDay): Promise<void> {
  const groups = span.groups
  mergeSpan(into, { ...span, groups: new Map() })
  if (groups instanceof CompactGroups) {
    for (let at = 0; at < groups.size; at += GROUPS_PER_TURN) {
      await nextTurn()
      groups.addTo(into.groups, at, at + GROUPS_PER_TURN)
    }
    return
  }
  let n = 0
  for (const [key, g] of groups) {
    if (n++ % GROUPS_PER_TURN === 0) await nextTurn()
    addGroup(into.groups, key, g)
  }
}

/** Whether [from, to) within one day is better read as the whole day less the hours outside (most of it is inside). */
export function mostOfDay(from: number, to: number, parts: SpanParts, dayMs: number): boolean {
  return parts !== 'hours' && dayMs - (to - from) < to - from
}

/**
 * [from, to) of one day as the whole day (`whole`) less the groups of the hours outside it (`outside`). `hours`: the
 * window's own hours, read as they are, for a day not finished (its whole-day read has groups only); a finished
 * day's hours come from `whole`.
 */
export function dayLessOutside(
  whole: Span | KeptDay, from: number, to: number, parts: SpanParts, finished: boolean, hours: Span | null, outside: readonly Span[],
): Span {
  const span: Span = finished || parts === 'groups' || !hours ? emptySpan(from, to) : hours
  if (finished && parts === 'all') {
    for (const [hour, sums] of whole.hours) if (hour >= from && hour < to) span.hours.set(hour, sums)
    for (const [hour, buckets] of whole.latency) if (hour >= from && hour < to) span.latency.set(hour, buckets)
  }
  for (const [key, g] of whole.groups) span.groups.set(key, { ...g })
  for (const out of outside) {
    for (const [key, g] of out.groups) {
      const mine = span.groups.get(key)
      if (!mine) continue
      subtractSums(mine, g)
      // Every request of the group was outside: the window has none of it.
      if (mine.requests <= 0) span.groups.delete(key)
    }
  }
  return span
}

/** Returns one string for equal strings, so kept days share their group keys and names. */
export class SharedStrings {
  private strings = new Map<string, string>()

  clear(): void {
    this.strings.clear()
  }

  /** A day's span with its groups compact, names shared with the other kept days. */
  compact(span: Span): KeptDay {
    // Names of groups gone from every kept day would stay shared forever: start again past a generous bound.
    if (this.strings.size > 1_000_000) this.strings.clear()
    const share = (s: string) => {
      const mine = this.strings.get(s)
      if (mine !== undefined) return mine
      this.strings.set(s, s)
      return s
    }
    return { ...span, groups: CompactGroups.of(span.groups, share) }
  }
}

/**
 * The finished days [first, last) summed into one span, kept (one per org) while it is made of the very day spans
 * kept now: a 30-day read then adds up one map and its partial days instead of 30 maps of ~10,000 groups each.
 */
export class DaySums {
  private sums = new Map<string, { first: number; last: number; parts: (Span | KeptDay)[]; span: Span }>()

  /** @param pause awaited between days (a turn of the event loop), so a long sum does not hold proxied requests */
  async sum(org: string, first: number, last: number, parts: (Span | KeptDay)[], pause: () => Promise<void>): Promise<Span> {
    const kept = this.sums.get(org)
    if (kept && kept.first === first && kept.last === last && kept.parts.length === parts.length && kept.parts.every((p, i) => p === parts[i])) {
      return kept.span
    }
    const span = emptySpan(first, last)
    for (const [i, p] of parts.entries()) {
      if (i > 0) await pause()
      mergeSpan(span, p)
    }
    this.sums.set(org, { first, last, parts, span })
    return span
  }

  forget(org: string): void {
    this.sums.delete(org)
  }
}
