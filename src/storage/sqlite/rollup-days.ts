/**
 * Roll-ups summed per UTC day and kept in memory, so a 30-day page adds up 30 small maps instead of reading
 * hundreds of thousands of hourly roll-up rows. Only finished days are kept; today, and the partial days at the
 * edges of a window, are read from `rollups_hourly` as they are.
 *
 * A finished day can still change: a long request that started before midnight is recorded (under its start
 * time) when it ends. Before each read, `sync` looks at the events written since the last read (a rowid range,
 * cheap) and forgets the days they belong to. A write by another connection (`PRAGMA data_version`) forgets
 * everything; after a very large burst of writes the days are kept but re-read in the background.
 */
import { DAY_MS } from '../../domain'
import { nextTurn } from '../../event-loop'
import type { Database } from 'bun:sqlite'
import { shownColumn, shownString } from '../../limits'
import { DaySums, dayLessOutside, mostOfDay, SharedStrings, type KeptDay } from '../kept-days'
import { dayOf, groupKey, type Group, type Span, type SpanParts, type Sums } from '../rollups'

/** Days read ahead in the background: the longest range (30 days) and the recommendations window. */
const WARM_DAYS = 31
/** Above this many new events since the last read, forgetting day by day costs more than re-reading. */
const MAX_DELTA_SCAN = 100_000
/** Parts of finished days kept at most (each ~6,000 groups at 10M events): a few orgs' windows of the last hour. */
const MAX_PARTS = 16

const SUMS_SQL = `SUM(requests) AS requests, SUM(errors) AS errors, SUM(cost_usd) AS costUsd, SUM(unpriced_requests) AS unpricedRequests,
  SUM(latency_ms_sum) AS latencyMsSum, SUM(input_tokens) AS inputTokens, SUM(cached_input_tokens) AS cachedInputTokens,
  SUM(cache_write_tokens) AS cacheWriteTokens, SUM(cache_write_1h_tokens) AS cacheWrite1hTokens, SUM(output_tokens) AS outputTokens`

// Read cut, and grouped by the cut: a name stored before the length limits may be megabytes long (see src/limits.ts).
const MODEL = shownColumn('model')
const FEATURE = shownColumn('feature')

/**
 * Reads [from, to) of an org's roll-ups from SQLite (range reads of the primary keys), a query per turn of the event
 * loop (a whole day's hours, latency and groups are three).
 */
export async function readSpan(db: Database, org: string, from: number, to: number, parts: SpanParts = 'all'): Promise<Span> {
  const steps = readSpanSteps(db, org, from, to, parts)
  for (;;) {
    const step = steps.next()
    await nextTurn()
    if (step.done) return step.value
  }
}

/** `readSpan`'s queries, pausing (`yield`) after each. */
function* readSpanSteps(db: Database, org: string, from: number, to: number, parts: SpanParts): Generator<void, Span, void> {
  const span: Span = { from, to, hours: new Map(), latency: new Map(), groups: new Map() }
  if (from >= to) return span
  if (parts !== 'groups') {
    for (const r of db.query(`SELECT hour, ${SUMS_SQL} FROM rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ? GROUP BY hour`).all(org, from, to) as (Sums & { hour: number })[]) {
      const { hour, ...sums } = r
      span.hours.set(hour, sums)
    }
    yield
    for (const r of db.query('SELECT hour, bucket, SUM(requests) AS n FROM latency_hourly WHERE org_id = ? AND hour >= ? AND hour < ? GROUP BY hour, bucket').all(org, from, to) as { hour: number; bucket: number; n: number }[]) {
      let buckets = span.latency.get(r.hour)
      if (!buckets) span.latency.set(r.hour, (buckets = new Map()))
      buckets.set(r.bucket, r.n)
    }
    yield
  }
  if (parts !== 'hours') {
    const hourlyGroups = () =>
      db.query(`SELECT provider, ${MODEL} AS model, task, ${FEATURE} AS feature, ${SUMS_SQL} FROM rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ? GROUP BY provider, ${MODEL}, task, ${FEATURE}`).all(org, from, to) as Group[]
    let groups: Group[]
    if (from % DAY_MS === 0 && to === from + DAY_MS) {
      // A whole UTC day is one row per group in rollups_daily, against about 24 in rollups_hourly.
      groups = dailyGroups(db, org, from)
      yield
      // rollups_daily is the writer's (and migration 7's) sum of rollups_hourly. Hourly rows written by anything else
      // (a script, a test's fixture) would not be in it: when the day's requests differ, the hourly rows win.
      const hourly = parts === 'all'
        ? [...span.hours.values()].reduce((n, s) => n + s.requests, 0)
        : (db.query('SELECT COALESCE(SUM(requests), 0) AS n FROM rollups_hourly WHERE org_id = ? AND hour >= ? AND hour < ?').get(org, from, to) as { n: number }).n
      if (groups.reduce((n, g) => n + g.requests, 0) !== hourly) {
        yield
        groups = hourlyGroups()
      }
    } else {
      groups = hourlyGroups()
    }
    for (const g of groups) {
      g.model = shownString(g.model)
      g.feature = shownString(g.feature)
      span.groups.set(groupKey(g), g)
    }
  }
  return span
}

const DAILY_SUMS = `requests, errors, cost_usd AS costUsd, unpriced_requests AS unpricedRequests, latency_ms_sum AS latencyMsSum,
  input_tokens AS inputTokens, cached_input_tokens AS cachedInputTokens, cache_write_tokens AS cacheWriteTokens,
  cache_write_1h_tokens AS cacheWrite1hTokens, output_tokens AS outputTokens`

/**
 * A day's groups from rollups_daily. It holds one row per group, so the rows are only sorted as grouping them would
 * (the order the pages then sum them in): grouping them by the cut names took 40–155 ms for one day's 8,385 groups at
 * 10M events, sorting them 9–57 ms (a loaded machine). Only when names cut to the same group (longer than
 * LIMITS.shown) are they summed by SQLite.
 */
function dailyGroups(db: Database, org: string, day: number): Group[] {
  const rows = db.query(`SELECT provider, ${MODEL} AS model, task, ${FEATURE} AS feature, ${DAILY_SUMS} FROM rollups_daily WHERE org_id = ? AND day = ? ORDER BY provider, ${MODEL}, task, ${FEATURE}`).all(org, day) as Group[]
  const keys = new Set<string>()
  for (const g of rows) keys.add(groupKey(g))
  if (keys.size === rows.length) return rows
  return db.query(`SELECT provider, ${MODEL} AS model, task, ${FEATURE} AS feature, ${SUMS_SQL} FROM rollups_daily WHERE org_id = ? AND day = ? GROUP BY provider, ${MODEL}, task, ${FEATURE}`).all(org, day) as Group[]
}

/**
 * @example
 * const days = new RollupDays(db, () => Date.now())
 * days.sync()
 * const spans = await days.cover('default', from, to) // cached whole days + live partial days
 */
export class RollupDays {
  private days = new Map<string, Map<number, KeptDay>>()
  /** one string for equal group keys and names across kept days */
  private strings = new SharedStrings()
  private stale = new Set<string>()
  private lastRowid: number | null = null
  private lastDataVersion: number | null = null
  private warming = new Set<string>()
  /** per org, the last `wholeDays` sum and the day spans it was made of */
  private sums = new DaySums()
  private rewarm = new Set<string>()
  /** bumped whenever days are forgotten, so a day being read in the background then is read again */
  private epoch = 0
  /**
   * Parts of finished days (a window's first day) as read, per org and day: a 30-day window starts mid-day, and that
   * day's part is ~10 hours of hourly rows (60–120 ms at 10M events) that are the same on every read within the hour.
   */
  private partials = new Map<string, { org: string; day: number; span: Span }>()
  /** bumped whenever parts are forgotten, so a part being read then is not kept */
  private partialsEpoch = 0

  private readonly keepDays: number
  private readonly maxDeltaScan: number

  /**
   * @param opts.keepDays days kept at most: the event log's retention and a little, as the events page counts
   *   back through every day that still has events (default 32)
   */
  constructor(
    private db: Database,
    private now: () => number,
    opts: { keepDays?: number; maxDeltaScan?: number } = {},
  ) {
    this.keepDays = opts.keepDays ?? 32
    this.maxDeltaScan = opts.maxDeltaScan ?? MAX_DELTA_SCAN
    // From here on every write is seen by `sync`, including those before the first read (the background reads).
    this.sync()
  }

  /** The time the cache takes as now (which days are finished). */
  nowMs(): number {
    return this.now()
  }

  /** How many days of an org are kept now (for tests and diagnostics). */
  keptDays(org: string): number {
    return this.days.get(org)?.size ?? 0
  }

  /** Whether a background read is going on for an org (for tests). */
  isWarming(org: string): boolean {
    return this.warming.has(org)
  }

  /**
   * Changes whenever anything this cache reads may have changed: a new event (of any org), a write by another
   * connection, days forgotten (re-pricing). Equal marks after `sync` mean equal roll-ups, so a result computed
   * from them can be kept until the mark moves.
   */
  writeMark(): string {
    return `${this.epoch}:${this.lastRowid}:${this.lastDataVersion}`
  }

  /** Forgets what changed since the last call. Call after flushing the event writer, before reading. */
  sync(): void {
    const dataVersion = (this.db.query('PRAGMA data_version').get() as { data_version: number }).data_version
    const maxRowid = (this.db.query('SELECT MAX(rowid) AS m FROM events').get() as { m: number | null }).m ?? 0
    const last = this.lastRowid
    const otherWriter = this.lastDataVersion !== null && dataVersion !== this.lastDataVersion
    this.lastDataVersion = dataVersion
    this.lastRowid = maxRowid
    if (last === null) return
    if (maxRowid === last) {
      if (otherWriter) this.forgetAll()
      return
    }
    if (otherWriter || maxRowid < last) {
      this.forgetAll()
    } else if (maxRowid - last > this.maxDeltaScan) {
      this.forgetPartials()
      for (const [org, days] of this.days) for (const day of days.keys()) this.stale.add(`${org}\u0000${day}`)
      for (const org of this.days.keys()) this.warm(org)
    } else {
      const touched = this.db.query('SELECT DISTINCT org_id AS org, time - (time % ?) AS day FROM events WHERE rowid > ?').all(DAY_MS, last) as { org: string; day: number }[]
      for (const t of touched) {
        if (this.days.get(t.org)?.delete(t.day)) this.epoch++
        // Today's events (nearly all) touch no part kept: only finished days' parts are kept.
        if (t.day < dayOf(this.now())) this.forgetPartials((p) => p.org === t.org && p.day === t.day)
      }
    }
  }

  /** Forgets an org's kept days: its roll-ups changed in place (re-pricing), which `sync` cannot see. */
  forget(org: string): void {
    if (this.days.delete(org)) this.epoch++
    this.forgetPartials((p) => p.org === org)
    for (const key of this.stale) if (key.startsWith(`${org}\u0000`)) this.stale.delete(key)
  }

  /** Forgets the parts kept that `which` picks; a part being read meanwhile is not kept either. */
  private forgetPartials(which: (p: { org: string; day: number }) => boolean = () => true): void {
    this.partialsEpoch++
    for (const [key, p] of this.partials) if (which(p)) this.partials.delete(key)
  }

  private forgetAll(): void {
    this.forgetPartials()
    this.days.clear()
    this.strings.clear()
    this.stale.clear()
    this.epoch++
  }

  /** Whether a finished day of an org is kept (reading it costs nothing). */
  private kept(org: string, day: number): boolean {
    return this.days.get(org)?.has(day) ?? false
  }

  /** A finished day of an org, read once (a query per turn of the event loop) and then kept. */
  async daySliced(org: string, day: number): Promise<KeptDay> {
    const kept = this.days.get(org)?.get(day)
    if (kept) return kept
    const epoch = this.epoch
    const span = this.compact(await readSpan(this.db, org, day, day + DAY_MS))
    // Days forgotten meanwhile (a late event, re-pricing): this read may have missed it, so it is not kept.
    if (this.epoch === epoch) this.keep(org, day, span)
    return span
  }

  /**
   * The finished days [first, last) summed into one span, kept (one per org) while it is made of the very day spans
   * kept now: a 30-day read then adds up one map and its partial days instead of 30 maps of ~10,000 groups each.
   * Read and summed a day per turn of the event loop.
   */
  async wholeDays(org: string, first: number, last: number): Promise<Span> {
    const parts: KeptDay[] = []
    for (let day = first; day < last; day += DAY_MS) parts.push(await this.daySliced(org, day))
    return this.sums.sum(org, first, last, parts, nextTurn)
  }

  /**
   * Spans that together cover [from, to): kept whole days where possible, the rest read now (only the `parts`
   * asked for; kept days have everything). A day per turn of the event loop. The caller then calls `warm`.
   */
  async cover(org: string, from: number, to: number, parts: SpanParts = 'all'): Promise<(Span | KeptDay)[]> {
    const today = dayOf(this.now())
    const spans: (Span | KeptDay)[] = []
    let at = from
    while (at < to) {
      const day = dayOf(at)
      const end = Math.min(day + DAY_MS, to)
      const whole = at === day && end === day + DAY_MS && day < today
      // A finished day not kept yet: totals are cheap to read as they are; groups are worth keeping.
      if (whole && (parts !== 'hours' || this.kept(org, day))) spans.push(await this.daySliced(org, day))
      else if (day < today) spans.push(await this.finishedPart(org, at, end, parts))
      else spans.push(await this.partDay(org, at, end, parts, false))
      at = end
    }
    return spans
  }

  /** Reads the finished days of every org in the background (when someone opens the sign-in page). */
  warmAll(orgs: () => string[]): void {
    try {
      for (const org of orgs()) this.warm(org)
    } catch {
      // the database is closed already
    }
  }

  /** [from, to) within one finished day: kept until an event of that day is written (or anything is forgotten). */
  private async finishedPart(org: string, from: number, to: number, parts: SpanParts): Promise<Span> {
    const key = `${org}\u0000${from}\u0000${to}\u0000${parts}`
    const kept = this.partials.get(key)
    if (kept) return kept.span
    const epoch = this.partialsEpoch
    const span = await this.partDay(org, from, to, parts, true)
    if (this.partialsEpoch !== epoch) return span
    // Windows' edges move hourly: the oldest part kept goes first.
    if (this.partials.size >= MAX_PARTS) this.partials.delete(this.partials.keys().next().value!)
    this.partials.set(key, { org, day: dayOf(from), span })
    return span
  }

  /**
   * [from, to) within one day. When most of the day is inside, its groups are the whole day's (kept, or today's
   * row of rollups_daily) less those of the hours outside: fewer rows to read than the hours inside.
   */
  private async partDay(org: string, from: number, to: number, parts: SpanParts, finished: boolean): Promise<Span> {
    const day = dayOf(from)
    if (!mostOfDay(from, to, parts, DAY_MS)) return readSpan(this.db, org, from, to, parts)
    const whole = finished ? await this.daySliced(org, day) : await readSpan(this.db, org, day, day + DAY_MS, 'groups')
    const hours = finished || parts === 'groups' ? null : await readSpan(this.db, org, from, to, 'hours')
    const outside = [await readSpan(this.db, org, day, from, 'groups'), await readSpan(this.db, org, to, day + DAY_MS, 'groups')]
    return dayLessOutside(whole, from, to, parts, finished, hours, outside)
  }

  /**
   * Reads the org's finished days (and re-reads stale ones) in the background, a query per turn of the event loop,
   * so a proxied request never waits behind more than one query of it.
   */
  warm(org: string): void {
    if (this.warming.has(org)) {
      this.rewarm.add(org)
      return
    }
    this.warming.add(org)
    void this.warmDays(org).finally(() => {
      this.warming.delete(org)
      if (this.rewarm.delete(org)) this.warm(org)
    })
  }

  private async warmDays(org: string): Promise<void> {
    const today = dayOf(this.now())
    try {
      for (let k = 1; k <= Math.min(WARM_DAYS, this.keepDays - 1); k++) {
        const day = today - k * DAY_MS
        const key = `${org}\u0000${day}`
        if (this.days.get(org)?.has(day) && !this.stale.has(key)) continue
        const epoch = this.epoch
        const span = this.compact(await readSpan(this.db, org, day, day + DAY_MS))
        if (this.epoch !== epoch) {
          k-- // something changed meanwhile: read the day again
          continue
        }
        this.keep(org, day, span)
        this.stale.delete(key)
      }
    } catch {
      // the database closed (shutdown): nothing left to warm
    }
  }

  private compact(span: Span): KeptDay {
    return this.strings.compact(span)
  }

  private keep(org: string, day: number, span: KeptDay): void {
    let days = this.days.get(org)
    if (!days) this.days.set(org, (days = new Map()))
    days.set(day, span)
    this.evictOld(days)
  }

  private evictOld(days: Map<number, KeptDay>): void {
    const oldest = dayOf(this.now()) - this.keepDays * DAY_MS
    for (const day of days.keys()) if (day < oldest) days.delete(day)
  }
}
