/**
 * Finished UTC days of roll-ups kept in memory by each instance, so that a 30-day page sums kept maps instead of
 * reading (and exactly summing) hundreds of thousands of roll-up rows again. Many instances write the same database:
 * a kept day stays valid while its mark (rollup-marks.ts) is what it was when the day was read. Every read takes the
 * marks of its days in the snapshot it reads in (one small query), and reads again only the days whose mark moved.
 * Today, the days over for less than SETTLE_MS, and the partial days at a window's edges are read as they are.
 *
 * The pieces of a window, their order and their sums are SQLite's (src/storage/kept-days.ts, shared with
 * src/storage/sqlite/rollup-days.ts), so both stores answer byte for byte alike.
 */
import type { SQL } from 'bun'
import { DAY_MS } from '../../domain'
import { nextTurn } from '../../event-loop'
import { DaySums, dayLessOutside, emptySpan, mergeSpan, mostOfDay, SharedStrings, type KeptDay } from '../kept-days'
import { dayOf, type Span, type SpanParts } from '../rollups'
import { readMarks, SETTLE_MS } from './rollup-marks'
import { noJit, readDays, readSpan } from './rollup-spans'

/** Days read ahead at sign-in (`warm`): the longest range (30 days) and the recommendations window. */
const WARM_DAYS = 31
/** Days read per statement when warming: bounds the rows held at once (~10,000 groups a day at 10M events). */
const WARM_CHUNK = 4

type Kept = { span: KeptDay; mark: string }

export class PostgresRollupDays {
  private days = new Map<string, Map<number, Kept>>()
  private strings = new SharedStrings()
  private sums = new DaySums()
  private warming = new Set<string>()
  private readonly keepDays: number

  /** @param opts.keepDays days kept at most per org (default 32, as SQLite's) */
  constructor(
    private readonly sql: SQL,
    private readonly now: () => number,
    opts: { keepDays?: number } = {},
  ) {
    this.keepDays = opts.keepDays ?? 32
  }

  /** How many days of an org are kept now (tests, diagnostics). */
  keptDays(org: string): number {
    return this.days.get(org)?.size ?? 0
  }

  /**
   * Runs `read` in one read-only REPEATABLE READ snapshot with the org's marks of [firstDay, lastDay) read in it:
   * the pieces of a window then agree with each other and with the marks the kept days are checked against.
   */
  async within<T>(org: string, from: number, to: number, read: (days: SnapshotDays) => Promise<T>): Promise<T> {
    return await this.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
      await noJit(tx)
      const marks = await readMarks(tx, org, dayOf(from), dayOf(to - 1) + DAY_MS)
      return await read(new SnapshotDays(this, tx, org, marks))
    })
  }

  /** Whether a finished day may be kept: over for SETTLE_MS, and within keepDays. */
  keepable(day: number): boolean {
    const now = this.now()
    return day < dayOf(now - SETTLE_MS) && day >= dayOf(now) - this.keepDays * DAY_MS
  }

  today(): number {
    return dayOf(this.now())
  }

  /** The kept span of a day if its mark is still `mark`. */
  keptAt(org: string, day: number, mark: string): KeptDay | null {
    const kept = this.days.get(org)?.get(day)
    return kept && kept.mark === mark ? kept.span : null
  }

  /** Keeps a day read in a snapshot where its mark was `mark` (when it may be kept); returns it compact. */
  keep(org: string, day: number, span: Span, mark: string): KeptDay {
    const compact = this.strings.compact(span)
    if (!this.keepable(day)) return compact
    let days = this.days.get(org)
    if (!days) this.days.set(org, (days = new Map()))
    days.set(day, { span: compact, mark })
    const oldest = this.today() - this.keepDays * DAY_MS
    for (const d of days.keys()) if (d < oldest) days.delete(d)
    return compact
  }

  sum(org: string, first: number, last: number, parts: KeptDay[]): Promise<Span> {
    return this.sums.sum(org, first, last, parts, nextTurn)
  }

  /**
   * Reads the org's finished days not kept (or whose mark moved) in the background, a few days per snapshot, so the
   * first page after sign-in finds them kept.
   */
  warm(org: string): void {
    if (this.warming.has(org)) return
    this.warming.add(org)
    void this.warmDays(org).finally(() => this.warming.delete(org))
  }

  private async warmDays(org: string): Promise<void> {
    const today = this.today()
    const days: number[] = []
    for (let k = Math.min(WARM_DAYS, this.keepDays - 1); k >= 1; k--) if (this.keepable(today - k * DAY_MS)) days.push(today - k * DAY_MS)
    try {
      for (let i = 0; i < days.length; i += WARM_CHUNK) {
        const chunk = days.slice(i, i + WARM_CHUNK)
        await this.within(org, chunk[0]!, chunk[chunk.length - 1]! + DAY_MS, (s) => s.wholeDayList(chunk[0]!, chunk[chunk.length - 1]! + DAY_MS))
      }
    } catch {
      // the pool closed (shutdown) or Postgres went away: the days are read when asked for
    }
  }
}

/** The kept days as seen from one snapshot: a day is taken from memory only if its mark is the snapshot's. */
export class SnapshotDays {
  constructor(
    private readonly days: PostgresRollupDays,
    readonly tx: SQL,
    private readonly org: string,
    private readonly marks: (day: number) => string,
  ) {}

  /** Whole finished days [first, last), each kept or read (the missing ones with one read per run of days). */
  async wholeDayList(first: number, last: number): Promise<KeptDay[]> {
    const out: KeptDay[] = []
    const missing: number[] = []
    for (let day = first; day < last; day += DAY_MS) {
      const kept = this.days.keptAt(this.org, day, this.marks(day))
      out.push(kept as KeptDay)
      if (!kept) missing.push(day)
    }
    // Runs of consecutive missing days, each read with readDays' three statements.
    for (let i = 0; i < missing.length; ) {
      let j = i
      while (j + 1 < missing.length && missing[j + 1] === missing[j]! + DAY_MS) j++
      const spans = await readDays(this.tx, this.org, missing[i]!, missing[j]! + DAY_MS)
      for (const span of spans) out[(span.from - first) / DAY_MS] = this.days.keep(this.org, span.from, span, this.marks(span.from))
      i = j + 1
    }
    return out
  }

  /** One finished day, kept or read. */
  async day(day: number): Promise<KeptDay> {
    return (await this.wholeDayList(day, day + DAY_MS))[0]!
  }

  /** As SqliteRollupStore's span: the finished whole days in the middle as one kept sum, the partial days at the edges. */
  async span(from: number, to: number, parts: SpanParts): Promise<Span> {
    const span = emptySpan(from, to)
    const today = this.days.today()
    const first = Math.ceil(from / DAY_MS) * DAY_MS
    const last = Math.min(Math.floor(to / DAY_MS) * DAY_MS, today)
    const middle = parts !== 'hours' && last - first >= 2 * DAY_MS
    const pieces = middle
      ? [...(await this.cover(from, first, parts)), await this.days.sum(this.org, first, last, await this.wholeDayList(first, last)), ...(await this.cover(last, to, parts))]
      : await this.cover(from, to, parts)
    for (const piece of pieces) mergeSpan(span, piece)
    return span
  }

  /** As RollupDays.cover: finished whole days as whole-day spans, the rest by `partDay`. */
  private async cover(from: number, to: number, parts: SpanParts): Promise<(Span | KeptDay)[]> {
    // Hours alone are keyed by hour: one read gives what the day-by-day pieces would.
    if (parts === 'hours') return from < to ? [await readSpan(this.tx, this.org, from, to, 'hours')] : []
    const today = this.days.today()
    const spans: (Span | KeptDay)[] = []
    let at = from
    while (at < to) {
      const day = dayOf(at)
      const end = Math.min(day + DAY_MS, to)
      const whole = at === day && end === day + DAY_MS && day < today
      spans.push(whole ? await this.day(day) : await this.partDay(at, end, parts, day < today))
      at = end
    }
    return spans
  }

  /** As RollupDays.partDay: most of a day is the whole day (kept when finished) less the hours outside. */
  private async partDay(from: number, to: number, parts: SpanParts, finished: boolean): Promise<Span> {
    const { tx, org } = this
    const day = dayOf(from)
    if (!mostOfDay(from, to, parts, DAY_MS)) return readSpan(tx, org, from, to, parts)
    const whole = finished ? await this.day(day) : await readSpan(tx, org, day, day + DAY_MS, 'groups')
    const hours = finished || parts === 'groups' ? null : await readSpan(tx, org, from, to, 'hours')
    const outside = [await readSpan(tx, org, day, from, 'groups'), await readSpan(tx, org, to, day + DAY_MS, 'groups')]
    return dayLessOutside(whole, from, to, parts, finished, hours, outside)
  }
}
