/**
 * Traffic for the override and re-pricing tests: a model no registry prices (`lab/unlisted-9b`, sent to Groq with
 * `X-Lectr-Provider`), proxied now, plus events of earlier days written through the real event writer (a test
 * cannot wait a week), some of them priced, one too old for a 7-day re-price and one without token counts.
 */
import { Database } from 'bun:sqlite'
import type { LectrEvent } from '../../src/events/types'
import { chatJson, type FakeUpstream } from '../helpers/fake-upstream'
import type { TestLectr } from '../helpers/lectr'

export const MODEL = 'lab/unlisted-9b'
export const PROVIDER = 'groq'
export const DAY_MS = 86_400_000

/** The usage every proxied answer reports: 100k input (40k cached), 20k output. */
export const USAGE = { prompt_tokens: 100_000, completion_tokens: 20_000, total_tokens: 120_000, prompt_tokens_details: { cached_tokens: 40_000 } }

/** The upstream answers as the requested model would, with `USAGE`. */
export function answerAsRequested(up: FakeUpstream): void {
  up.script = (_req, rec) => chatJson({ model: JSON.parse(rec.body).model, usage: USAGE })
}

export async function chat(lectr: TestLectr, model = MODEL, provider = PROVIDER): Promise<Response> {
  return lectr.post('chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, { 'x-lectr-provider': provider })
}

/** A finished event of `daysAgo` days ago (at noon UTC, so it is inside a finished day), as the proxy records one. */
export function pastEvent(daysAgo: number, fields: Partial<LectrEvent> = {}): LectrEvent {
  const now = Date.now()
  const noon = now - (now % DAY_MS) - daysAgo * DAY_MS + 12 * 3_600_000
  return {
    id: Bun.randomUUIDv7('hex', noon),
    time: new Date(noon).toISOString(), org: 'default', provider: 'groq', providerUnknown: false, detection: 'header',
    model: MODEL, responseModel: MODEL, endpoint: 'chat/completions', stream: false, status: 200, errorCode: null,
    inputTokens: 50_000, cachedInputTokens: 0, cacheWriteTokens: null, cacheWrite1hTokens: null, outputTokens: 10_000,
    reasoningTokens: 0, costUsd: null, latencyMs: 120, ttfbMs: 80, feature: 'past', task: null, usageEstimated: false,
    registryVersion: 'old-registry', ...fields,
  }
}

/** Every row of a query on the test's database, read on a connection of its own. */
export function rows(lectr: TestLectr, sql: string, ...args: (string | number)[]): any[] {
  lectr.running.writer.flush()
  const db = new Database(lectr.dbPath, { readonly: true })
  try {
    return db.query(sql).all(...args)
  } finally {
    db.close()
  }
}

/**
 * Whether every roll-up row equals the sums over the raw events it counts (cost and unpriced requests), in the three
 * roll-up tables. Returns the rows that differ (none: consistent).
 */
export function rollupMismatches(lectr: TestLectr): unknown[] {
  const fromEvents = `SELECT org_id, time - time % 3600000 AS hour, provider, COALESCE(model, '') AS model, COALESCE(feature, '') AS feature,
      COALESCE(task, '') AS task, COALESCE(SUM(cost_usd), 0) AS cost, SUM(cost_usd IS NULL) AS unpriced, COUNT(*) AS requests
    FROM events GROUP BY 1, 2, 3, 4, 5, 6`
  const mismatches: unknown[] = []
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9
  const hourly = rows(lectr, `SELECT e.*, r.cost_usd AS rcost, r.unpriced_requests AS runpriced, r.requests AS rrequests FROM (${fromEvents}) e
    LEFT JOIN rollups_hourly r ON r.org_id = e.org_id AND r.hour = e.hour AND r.provider = e.provider AND r.model = e.model AND r.feature = e.feature AND r.task = e.task`)
  for (const r of hourly) if (!close(r.cost, r.rcost) || r.unpriced !== r.runpriced || r.requests !== r.rrequests) mismatches.push({ table: 'rollups_hourly', ...r })
  for (const [table, time, width] of [['model_rollups_hourly', 'hour', 3_600_000], ['model_rollups_daily', 'day', DAY_MS]] as const) {
    const perModel = rows(lectr, `SELECT e.*, r.cost_usd AS rcost, r.unpriced_requests AS runpriced FROM (
        SELECT org_id, time - time % ${width} AS t, provider, COALESCE(model, '') AS model, COALESCE(SUM(cost_usd), 0) AS cost,
          SUM(cost_usd IS NULL) AS unpriced FROM events GROUP BY 1, 2, 3, 4) e
      LEFT JOIN ${table} r ON r.org_id = e.org_id AND r.${time} = e.t AND r.provider = e.provider AND r.model = e.model`)
    for (const r of perModel) if (!close(r.cost, r.rcost) || r.unpriced !== r.runpriced) mismatches.push({ table, ...r })
  }
  return mismatches
}
