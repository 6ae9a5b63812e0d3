
/**
 * Versioned schema. Each entry runs once, in order, inside a transaction; PRAGMA user_version records how far
 * a database has come. Never edit a shipped entry: add a new one.
 */
export const MIGRATIONS: string[] = [
  // 1: orgs, keys, settings, events and hourly roll-ups
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE org_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  ) STRICT;
  CREATE TABLE azure_settings (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    endpoint TEXT NOT NULL,
    api_version TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE events (
    id TEXT NOT NULL,
    time INTEGER NOT NULL,
    org_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_unknown INTEGER NOT NULL,
    detection TEXT NOT NULL,
    model TEXT,
    response_model TEXT,
    endpoint TEXT NOT NULL,
    stream INTEGER NOT NULL,
    status INTEGER NOT NULL,
    error_code TEXT,
    input_tokens INTEGER,
    cached_input_tokens INTEGER,
    output_tokens INTEGER,
    reasoning_tokens INTEGER,
    cost_usd REAL,
    latency_ms REAL NOT NULL,
    ttfb_ms REAL,
    feature TEXT,
    task TEXT,
    usage_estimated INTEGER NOT NULL,
    registry_version TEXT NOT NULL
  ) STRICT;
  -- The only index: every read is per org, newest first, and ids (UUIDv7) sort by time. One B-tree besides the
  -- table itself keeps inserts cheap; retention deletes by (org_id, id) too.
  CREATE UNIQUE INDEX events_org_id ON events(org_id, id);
  CREATE TABLE rollups_hourly (
    org_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    task TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    unpriced_requests INTEGER NOT NULL,
    latency_ms_sum REAL NOT NULL,
    PRIMARY KEY (org_id, hour, provider, model, feature, task)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE model_rollups_hourly (
    org_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    unpriced_requests INTEGER NOT NULL,
    latency_ms_sum REAL NOT NULL,
    PRIMARY KEY (org_id, hour, provider, model)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE model_rollups_daily (
    org_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    unpriced_requests INTEGER NOT NULL,
    latency_ms_sum REAL NOT NULL,
    PRIMARY KEY (org_id, day, provider, model)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    csrf TEXT NOT NULL,
    org_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE latency_hourly (
    org_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    provider TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (org_id, hour, provider, bucket)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: each dashboard session records which admin token signed it in (a tag derived from the token's hash), so a
  // new admin token ends the sessions of the old one. Sessions from before have no tag and end too.
  `
  ALTER TABLE sessions ADD COLUMN token_tag TEXT NOT NULL DEFAULT '';
  `,
  // 3: cache writes (Anthropic's Messages API, SPEC section 8). Old events recorded none (null, like a missing
  // usage); roll-up sums start at 0. The model roll-ups also get the cache reads, summed from rollups_hourly.
  `
  ALTER TABLE events ADD COLUMN cache_write_tokens INTEGER;
  ALTER TABLE events ADD COLUMN cache_write_1h_tokens INTEGER;
  ALTER TABLE rollups_hourly ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollups_hourly ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE model_rollups_hourly ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE model_rollups_hourly ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE model_rollups_hourly ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE model_rollups_daily ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE model_rollups_daily ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE model_rollups_daily ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;
  UPDATE model_rollups_hourly SET cached_input_tokens = COALESCE((
    SELECT SUM(r.cached_input_tokens) FROM rollups_hourly r
    WHERE r.org_id = model_rollups_hourly.org_id AND r.hour = model_rollups_hourly.hour
      AND r.provider = model_rollups_hourly.provider AND r.model = model_rollups_hourly.model), 0);
  UPDATE model_rollups_daily SET cached_input_tokens = COALESCE((
    SELECT SUM(r.cached_input_tokens) FROM rollups_hourly r
    WHERE r.org_id = model_rollups_daily.org_id AND r.hour >= model_rollups_daily.day
      AND r.hour < model_rollups_daily.day + 86400000
      AND r.provider = model_rollups_daily.provider AND r.model = model_rollups_daily.model), 0);
  `,
  // 4: prices added by an admin (SPEC section 12), applied over the registry in force. `price` is the registry's price
  // shape as JSON (src/registry/overrides.ts validates it before it is stored).
  `
  CREATE TABLE price_overrides (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    price TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (provider, model)
  ) STRICT;
  `,
  // 5: routing rules (SPEC section 9). Every save is a new row; the newest version of an org is its rule set in force.
  // The events gain where a rule sent them.
  `
  CREATE TABLE routing_versions (
    org_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    rules TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, version)
  ) STRICT;
  ALTER TABLE events ADD COLUMN routed_provider TEXT;
  ALTER TABLE events ADD COLUMN routed_model TEXT;
  ALTER TABLE events ADD COLUMN rule_id TEXT;
  ALTER TABLE events ADD COLUMN arm TEXT;
  ALTER TABLE events ADD COLUMN route_skipped TEXT;
  ALTER TABLE events ADD COLUMN attempts INTEGER;
  ALTER TABLE events ADD COLUMN baseline_cost_usd REAL;
  `,
  // 6: what a routing dry run replays (src/rollups/replay-rollup.ts), filled from the events already logged.
  `
  CREATE TABLE replay_rollups_daily (
    org_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    task TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    stream INTEGER NOT NULL,
    input_class INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    unpriced_requests INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    PRIMARY KEY (org_id, day, provider, model, feature, task, endpoint, stream, input_class)
  ) STRICT, WITHOUT ROWID;
  -- REPLAY_BACKFILL_SQL (src/events/replay-rollup.ts) written out: a migration stays as it ran (test/events/replay-migration.test.ts)
  INSERT INTO replay_rollups_daily (org_id, day, provider, model, feature, task, endpoint, stream, input_class,
    requests, unpriced_requests, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, cost_usd)
  SELECT org_id, time - time % 86400000 AS day, provider, COALESCE(model, '') AS model, COALESCE(feature, '') AS feature,
      COALESCE(task, '') AS task, endpoint, stream, CASE WHEN COALESCE(input_tokens, 0) > 32000 THEN (input_tokens + 999) / 1000 ELSE 0 END AS input_class, COUNT(*) AS requests,
      SUM(cost_usd IS NULL) AS unpriced_requests, COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(input_tokens, 0) END), 0) AS input_tokens,
      COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(cached_input_tokens, 0) END), 0) AS cached_input_tokens, COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(cache_write_tokens, 0) END), 0) AS cache_write_tokens,
      COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(cache_write_1h_tokens, 0) END), 0) AS cache_write_1h_tokens, COALESCE(SUM(CASE WHEN cost_usd IS NOT NULL THEN COALESCE(output_tokens, 0) END), 0) AS output_tokens,
      TOTAL(cost_usd) AS cost_usd
    FROM events WHERE 1
    GROUP BY org_id, 2, provider, 4, 5, 6, endpoint, stream, input_class;
  `,
  // 7: the roll-ups summed per UTC day with the full key of rollups_hourly (src/rollups/), so a 30-day read of groups
  // reads 30 rows per group instead of 720; filled from rollups_hourly.
  `
  CREATE TABLE rollups_daily (
    org_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    task TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    unpriced_requests INTEGER NOT NULL,
    latency_ms_sum REAL NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    PRIMARY KEY (org_id, day, provider, model, feature, task)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO rollups_daily (org_id, day, provider, model, feature, task, requests, errors, input_tokens, cached_input_tokens,
    output_tokens, reasoning_tokens, cost_usd, unpriced_requests, latency_ms_sum, cache_write_tokens, cache_write_1h_tokens)
  SELECT org_id, hour - hour % 86400000 AS day, provider, model, feature, task, SUM(requests), SUM(errors), SUM(input_tokens),
      SUM(cached_input_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_usd), SUM(unpriced_requests),
      SUM(latency_ms_sum), SUM(cache_write_tokens), SUM(cache_write_1h_tokens)
    FROM rollups_hourly
    GROUP BY org_id, 2, provider, model, feature, task;
  `,
]
