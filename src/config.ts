import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { BASE_URL_SETTINGS, PROVIDER_LIST } from './providers'
import { baseUrlsSchema } from './providers/derive'
import { registryUrlProblem } from './registry/url'

/** Every setting Lectr has. Each is both a flag and an environment variable (see SETTINGS). */
export const Config = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  db: Type.String({ minLength: 1 }),
  // Checked by databaseUrlProblem, whose messages never quote the password.
  databaseUrl: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  spillPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  registry: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  // Checked by registryUrlProblem, whose messages never quote a token from the URL.
  registryUrl: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  // Fractions let a test (or an impatient admin) refresh every few seconds; a week at most keeps the timer in range.
  registryRefreshMinutes: Type.Number({ minimum: 0.01, maximum: 10080 }),
  adminToken: Type.Union([Type.String({ minLength: 16 }), Type.Null()]),
  // One per provider whose base URL a setting can replace (src/providers), rows in SETTINGS below.
  baseUrls: baseUrlsSchema(PROVIDER_LIST),
  allowPrivateUpstreams: Type.Boolean(),
  drainSeconds: Type.Number({ minimum: 0, maximum: 3600 }),
  maxBodyBytes: Type.Integer({ minimum: 1024 }),
  // Bun's own timer, kept a little past this as a backstop while the body is read, goes up to 255 s.
  bodyTimeoutMs: Type.Integer({ minimum: 100, maximum: 240_000 }),
  upstreamTimeoutMs: Type.Integer({ minimum: 1 }),
  streamIdleMs: Type.Integer({ minimum: 0 }),
  retentionDays: Type.Integer({ minimum: 1 }),
  eventLog: Type.Boolean(),
  eventBuffer: Type.Integer({ minimum: 1 }),
  maxUpstreamRequests: Type.Integer({ minimum: 1, maximum: 65535 }),
  upstreamHttp2: Type.Boolean(),
  metricsToken: Type.Union([Type.String({ minLength: 16 }), Type.Null()]),
  metricsLabels: Type.Union([Type.String({ pattern: '^(org|feature)(,(org|feature))?$', description: 'org, feature or org,feature' }), Type.Null()]),
  logFormat: Type.String({ pattern: '^(text|json)$', description: 'text or json' }),
  accessLog: Type.Boolean(),
})
export type Config = Static<typeof Config>

type Kind = 'string' | 'int' | 'number' | 'bool'
interface Setting {
  key: string
  flag: string
  env: string
  kind: Kind
  default: string | null
  help: string
  /** never echoed in an error message */
  secret?: boolean
}

/** The table behind `--help`, the env vars and the flags: one row per setting. */
export const SETTINGS: Setting[] = [
  { key: 'host', flag: '--host', env: 'LECTR_HOST', kind: 'string', default: '0.0.0.0', help: 'listen address' },
  { key: 'port', flag: '--port', env: 'LECTR_PORT', kind: 'int', default: '8080', help: 'listen port (0 picks a free one)' },
  { key: 'db', flag: '--db', env: 'LECTR_DB', kind: 'string', default: './lectr.db', help: 'SQLite database, created on first start (WAL)' },
  { key: 'databaseUrl', flag: '--database-url', env: 'LECTR_DATABASE_URL', kind: 'string', default: null, help: 'postgres://user:password@host:port/database: store everything in Postgres instead of --db (many instances, one database)', secret: true },
  { key: 'registry', flag: '--registry', env: 'LECTR_REGISTRY', kind: 'string', default: null, help: 'registry file (default: built-in); watched and reloaded on change and SIGHUP' },
  { key: 'registryUrl', flag: '--registry-url', env: 'LECTR_REGISTRY_URL', kind: 'string', default: null, help: 'registry document at an https URL (exclusive with --registry), fetched at start, every --registry-refresh-minutes and on reload; the last good one stays on any failure' },
  { key: 'registryRefreshMinutes', flag: '--registry-refresh-minutes', env: 'LECTR_REGISTRY_REFRESH_MINUTES', kind: 'number', default: '360', help: 'how often --registry-url is checked (conditional requests)' },
  { key: 'adminToken', flag: '--admin-token', env: 'LECTR_ADMIN_TOKEN', kind: 'string', default: null, help: 'admin token for /api and the dashboard (default: generated once, printed once, stored hashed)', secret: true },
  ...BASE_URL_SETTINGS,
  { key: 'allowPrivateUpstreams', flag: '--allow-private-upstreams', env: 'LECTR_ALLOW_PRIVATE_UPSTREAMS', kind: 'bool', default: '0', help: 'let Azure endpoints be loopback, private or plain http' },
  { key: 'drainSeconds', flag: '--drain-seconds', env: 'LECTR_DRAIN_SECONDS', kind: 'number', default: '30', help: 'on SIGTERM, how long in-flight requests may take to finish' },
  { key: 'maxBodyBytes', flag: '--max-body-bytes', env: 'LECTR_MAX_BODY_BYTES', kind: 'int', default: String(32 * 1024 * 1024), help: 'largest request body accepted (413 above)' },
  { key: 'bodyTimeoutMs', flag: '--body-timeout-ms', env: 'LECTR_BODY_TIMEOUT_MS', kind: 'int', default: '60000', help: 'a request body not wholly received within this (from its headers): 408, connection closed' },
  { key: 'upstreamTimeoutMs', flag: '--upstream-timeout-ms', env: 'LECTR_UPSTREAM_TIMEOUT_MS', kind: 'int', default: String(10 * 60 * 1000), help: 'no first byte from the provider within this: 504' },
  { key: 'streamIdleMs', flag: '--stream-idle-ms', env: 'LECTR_STREAM_IDLE_MS', kind: 'int', default: '0', help: 'a started stream that gets no byte from the provider for this long is ended with an error event (0: never; reasoning models pause for minutes)' },
  { key: 'retentionDays', flag: '--retention-days', env: 'LECTR_RETENTION_DAYS', kind: 'int', default: '90', help: 'raw events older than this are pruned (roll-ups stay)' },
  { key: 'maxUpstreamRequests', flag: '--max-upstream-requests', env: 'LECTR_MAX_UPSTREAM_REQUESTS', kind: 'int', default: '4096', help: 'upstream requests (open streams included) in flight at once; sets BUN_CONFIG_MAX_HTTP_REQUESTS' },
  { key: 'upstreamHttp2', flag: '--upstream-http2', env: 'LECTR_UPSTREAM_HTTP2', kind: 'bool', default: '0', help: "speak HTTP/2 to https upstreams that offer it, HTTP/1.1 to the others (Bun's HTTP/2 client is experimental)" },
  { key: 'spillPath', flag: '--spill-path', env: 'LECTR_SPILL_PATH', kind: 'string', default: null, help: 'where events beyond --event-buffer wait (default: <db>.spill.ndjson; with --database-url ./lectr-events.spill.ndjson); one per instance' },
  { key: 'eventBuffer', flag: '--event-buffer', env: 'LECTR_EVENT_BUFFER', kind: 'int', default: '100000', help: 'events waiting in memory while the database cannot be written; beyond it they go to the spill file (--spill-path)' },
  { key: 'metricsToken', flag: '--metrics-token', env: 'LECTR_METRICS_TOKEN', kind: 'string', default: null, help: 'a token that opens GET /metrics and nothing else (the admin token works too)', secret: true },
  { key: 'metricsLabels', flag: '--metrics-labels', env: 'LECTR_METRICS_LABELS', kind: 'string', default: null, help: 'org,feature: add these labels to the request and cost metrics (100 values each, the rest _other)' },
  { key: 'logFormat', flag: '--log-format', env: 'LECTR_LOG_FORMAT', kind: 'string', default: 'text', help: 'text or json (every line one JSON object, the banner included)' },
  { key: 'accessLog', flag: '--access-log', env: 'LECTR_ACCESS_LOG', kind: 'bool', default: '0', help: 'one log line per request: event id, org, provider, model, status, latency, cost' },
  { key: 'eventLog', flag: '--event-log', env: 'LECTR_EVENT_LOG', kind: 'bool', default: '1', help: 'record events (0 only for benchmarking the proxy alone)' },
]

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] }

const TRUE = new Set(['1', 'true', 'yes', 'on'])
const FALSE = new Set(['0', 'false', 'no', 'off', ''])

/** A setting's schema in Config, without the Null that stands for "not set". */
function schemaOf(setting: Setting): TSchema & Record<string, any> {
  let node: any = Config
  for (const part of setting.key.split('.')) node = node.properties[part]
  return node.anyOf?.find((s: TSchema) => s.type !== 'null') ?? node
}

const isUrlSetting = (schema: Record<string, any>) => schema.type === 'string' && schema.pattern === '^https?://'

/**
 * What a setting accepts, in words, from its schema (so a new setting gets a plain message too).
 * @example expected(port) // 'a whole number from 0 to 65535'
 */
export function expected(setting: Setting): string {
  const s = schemaOf(setting)
  if (typeof s.description === 'string') return s.description
  if (s.type === 'integer' || s.type === 'number') {
    const what = s.type === 'integer' ? 'a whole number' : 'a number'
    if (s.minimum !== undefined && s.maximum !== undefined) return `${what} from ${s.minimum} to ${s.maximum}`
    if (s.minimum !== undefined) return `${what} of at least ${s.minimum}`
    if (s.maximum !== undefined) return `${what} of at most ${s.maximum}`
    return what
  }
  if (s.type === 'boolean') return '1 or 0 (or true/false, yes/no, on/off)'
  if (isUrlSetting(s)) return 'an http(s) URL'
  if (s.minLength > 1) return `at least ${s.minLength} characters`
  return 'a non-empty value'
}

/** One plain line: the flag or env var that was used, what it accepts, what it got (never a secret's value). */
function problem(setting: Setting, origin: string, raw: string): string {
  const got = setting.secret ? `${raw.length} characters` : JSON.stringify(raw)
  return `${origin}: expected ${expected(setting)}, got ${got}`
}

function convert(setting: Setting, raw: string, origin: string, errors: string[]): unknown {
  switch (setting.kind) {
    case 'string':
      return raw
    case 'int':
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw)
      if (!Number.isFinite(n) || (setting.kind === 'int' && !Number.isInteger(n))) {
        errors.push(problem(setting, origin, raw))
        return undefined
      }
      return n
    }
    case 'bool': {
      const v = raw.trim().toLowerCase()
      if (TRUE.has(v)) return true
      if (FALSE.has(v)) return false
      errors.push(problem(setting, origin, raw))
      return undefined
    }
  }
}

function assign(target: Record<string, any>, path: string, value: unknown) {
  const parts = path.split('.')
  let node = target
  for (const p of parts.slice(0, -1)) node = node[p] ??= {}
  node[parts[parts.length - 1]] = value
}

/**
 * Defaults, then environment, then flags. Reports every problem at once.
 * @example parseConfig(['--port', '9000'], process.env)
 */
export function parseConfig(argv: string[], env: Record<string, string | undefined>): ConfigResult {
  const errors: string[] = []
  const values: Record<string, unknown> = {}
  // where each value came from and as what text, for the messages
  const given = new Map<string, { origin: string; raw: string }>()
  for (const s of SETTINGS) values[s.key] = s.default === null ? null : convert(s, s.default, s.flag, errors)
  for (const s of SETTINGS) {
    const raw = env[s.env]
    if (raw !== undefined && raw !== '') {
      values[s.key] = convert(s, raw, s.env, errors)
      given.set(s.key, { origin: s.env, raw })
    }
  }
  const byFlag = new Map(SETTINGS.map((s) => [s.flag, s]))
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const setting = byFlag.get(name)
    if (!setting) {
      errors.push(`unknown flag ${JSON.stringify(arg)} (see --help)`)
      continue
    }
    let raw: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined
    if (raw === undefined) {
      if (setting.kind === 'bool' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))) raw = '1'
      else raw = argv[++i]
    }
    if (raw === undefined) errors.push(`${name}: needs a value (${expected(setting)})`)
    else {
      values[setting.key] = convert(setting, raw, name, errors)
      given.set(setting.key, { origin: name, raw })
    }
  }
  const config: Record<string, any> = {}
  for (const [key, value] of Object.entries(values)) assign(config, key, value)
  {
    const bad = new Set<Setting>()
    for (const e of Value.Errors(Config, config)) {
      const setting = SETTINGS.find((s) => '/' + s.key.replace('.', '/') === e.path)
      // undefined: the value did not convert, and already has its line
      if (setting) {
        if (values[setting.key] !== undefined) bad.add(setting)
      } else errors.push(`${e.path}: ${e.message}`)
    }
    // The schema only asks for an http(s) prefix; a URL must also parse.
    for (const s of SETTINGS) {
      const v = values[s.key]
      if (typeof v === 'string' && isUrlSetting(schemaOf(s)) && !URL.canParse(v)) bad.add(s)
    }
    for (const s of bad) {
      const g = given.get(s.key) ?? { origin: s.flag, raw: String(values[s.key]) }
      errors.push(problem(s, g.origin, g.raw))
    }
  }
  errors.push(...registrySourceProblems(values, given))
  const databaseUrl = values.databaseUrl
  if (typeof databaseUrl === 'string' && databaseUrl !== '') {
    const refused = databaseUrlProblem(databaseUrl)
    if (refused) errors.push(`${given.get('databaseUrl')?.origin ?? '--database-url'}: ${refused}`)
  }
  return errors.length ? { ok: false, errors } : { ok: true, config: config as Config }
}

/** The registry's URL rules, and the one source it may have: they depend on two settings each, so come last. */
function registrySourceProblems(values: Record<string, unknown>, given: Map<string, { origin: string; raw: string }>): string[] {
  const url = values.registryUrl
  if (typeof url !== 'string' || url === '') return []
  const problems: string[] = []
  const origin = given.get('registryUrl')?.origin ?? '--registry-url'
  const refused = registryUrlProblem(url, values.allowPrivateUpstreams === true)
  if (refused) problems.push(`${origin}: ${refused}`)
  if (typeof values.registry === 'string' && values.registry !== '') {
    const file = given.get('registry')?.origin ?? '--registry'
    problems.push(`${file} and ${origin} are exclusive: the registry comes from a file or from a URL, set only one`)
  }
  return problems
}

/**
 * The URL with its password replaced, for every message and log line that names the database.
 * @example redactDatabaseUrl('postgres://lectr:s3cret@db:5432/lectr') // 'postgres://lectr:***@db:5432/lectr'
 */
export function redactDatabaseUrl(url: string): string {
  if (!URL.canParse(url)) return '(not a URL)'
  const u = new URL(url)
  if (u.password) u.password = '***'
  return u.toString()
}

/** Why a database URL cannot be used, in one line that never quotes its password; null when it can. */
export function databaseUrlProblem(url: string): string | null {
  const example = 'expected postgres://user:password@host:port/database'
  if (!URL.canParse(url)) return `${example} (got something that is not a URL)`
  const u = new URL(url)
  // Only the scheme is quoted: an opaque URL (`user:password db`) would otherwise be echoed whole.
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return `${example} (got a ${u.protocol} URL)`
  if (!u.hostname && !u.searchParams.get('host')) return `${example} (got a URL without a host)`
  return null
}

/** The settings part of `lectr --help`. */
export function settingsHelp(): string {
  const rows = SETTINGS.map((s) => {
    const left = `  ${s.flag}${s.kind === 'bool' ? '' : ' VALUE'}`
    return `${`${left} `.padEnd(32)}${s.env.padEnd(32)}${s.help}${s.default !== null ? ` [${s.default}]` : ''}`
  })
  return rows.join('\n')
}
