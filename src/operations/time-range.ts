import { DAY_MS } from '../domain'

/** Parses `since`/`until` query values (ISO 8601 or ms since the epoch). Problems are listed, never thrown. */
export function parseTimeRange(
  q: Record<string, string | undefined>,
  now: Date,
  defaultDays: number | null,
): { ok: true; since: number | null; until: number | null } | { ok: false; problems: string[] } {
  const problems: string[] = []
  const parse = (name: string): number | null => {
    const raw = q[name]
    if (raw === undefined || raw === '') return null
    const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
    if (!Number.isFinite(t)) {
      problems.push(`${name}: expected an ISO 8601 time or ms since the epoch, got ${JSON.stringify(raw.slice(0, 40))}`)
      return null
    }
    return t
  }
  let since = parse('since')
  const until = parse('until')
  if (problems.length) return { ok: false, problems }
  if (since === null && defaultDays !== null) since = (until ?? now.getTime()) - defaultDays * DAY_MS
  if (since !== null && until !== null && since > until) return { ok: false, problems: ['since: must not be after until'] }
  return { ok: true, since, until }
}
