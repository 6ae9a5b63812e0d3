import type { SQL } from 'bun'

/**
 * Advisory lock keys (pg_advisory_xact_lock(namespace, key)): one namespace for Lectr, so that an application sharing
 * the database with other locks of its own does not collide with these.
 */
export const LOCK_NAMESPACE = 0x4c656374 // 'Lect'
export const MIGRATION_LOCK = 1
export const PARTITION_LOCK = 2

/**
 * The Postgres schema, versioned like src/db/migrations.ts: each entry runs once, in order; `schema_migrations`
 * records which have. Never edit a shipped entry: add a new one.
 *
 * Postgres 1 is SQLite's schema 1 to 7 in one step (the same tables and columns, in SQLite's column order), with
 * Postgres types: BIGINT for epoch-millisecond times, token counts and request counts; DOUBLE PRECISION for costs and
 * latencies; SMALLINT 0/1 where SQLite stores a boolean as an integer, so that the stores map rows the same way.
 * `events` is partitioned by UTC day on `time` (src/storage/postgres/partitions.ts creates the days and drops them).
 */
export const POSTGRES_MIGRATIONS: string[] = [
  // 1: everything SQLite has at its schema 7
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE org_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    label TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE TABLE azure_settings (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    endpoint TEXT NOT NULL,
    api_version TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE events (
    id TEXT NOT NULL,
    time BIGINT NOT NULL,
    org_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_unknown SMALLINT NOT NULL,
    detection TEXT NOT NULL,
    model TEXT,
    response_model TEXT,
    endpoint TEXT NOT NULL,
    stream SMALLINT NOT NULL,
    status INTEGER NOT NULL,
    error_code TEXT,
    input_tokens BIGINT,
    cached_input_tokens BIGINT,
    output_tokens BIGINT,
    reasoning_tokens BIGINT,
    cost_usd DOUBLE PRECISION,
    latency_ms DOUBLE PRECISION NOT NULL,
    ttfb_ms DOUBLE PRECISION,
    feature TEXT,
    task TEXT,
    usage_estimated SMALLINT NOT NULL,
    registry_version TEXT NOT NULL,
    cache_write_tokens BIGINT,
    cache_write_1h_tokens BIGINT,
    routed_provider TEXT,
    routed_model TEXT,
    rule_id TEXT,
    arm TEXT,
    route_skipped TEXT,
    attempts INTEGER,
    baseline_cost_usd DOUBLE PRECISION
  ) PARTITION BY RANGE (time);
  -- A unique index of a partitioned table must hold the partition key; an event's time never changes, so
  -- (org_id, id, time) rejects a replayed event as SQLite's (org_id, id) does, and serves the per-org reads by id.
  CREATE UNIQUE INDEX events_org_id ON events (org_id, id, time);
  CREATE TABLE rollups_hourly (
    org_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    task TEXT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    latency_ms_sum DOUBLE PRECISION NOT NULL,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, hour, provider, model, feature, task)
  );
  CREATE TABLE rollups_daily (
    org_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    task TEXT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    reasoning_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    latency_ms_sum DOUBLE PRECISION NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, provider, model, feature, task)
  );
  CREATE TABLE model_rollups_hourly (
    org_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    latency_ms_sum DOUBLE PRECISION NOT NULL,
    cached_input_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, hour, provider, model)
  );
  CREATE TABLE model_rollups_daily (
    org_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    latency_ms_sum DOUBLE PRECISION NOT NULL,
    cached_input_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, provider, model)
  );
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    csrf TEXT NOT NULL,
    org_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    token_tag TEXT NOT NULL DEFAULT ''
  );
  CREATE TABLE latency_hourly (
    org_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    provider TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (org_id, hour, provider, bucket)
  );
  CREATE TABLE price_overrides (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    price TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (provider, model)
  );
  CREATE TABLE routing_versions (
    org_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    rules TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, version)
  );
  CREATE TABLE replay_rollups_daily (
    org_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    task TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    stream SMALLINT NOT NULL,
    input_class BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    unpriced_requests BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cache_write_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (org_id, day, provider, model, feature, task, endpoint, stream, input_class)
  );
  `,
]

export interface MigrationResult {
  /** the schema version found */
  from: number
  /** the schema version now */
  to: number
}

/**
 * Brings the schema up to date, once per database however many instances start together: the first to take the
 * advisory lock applies what is missing, in one transaction; the others wait for the lock, then find the schema
 * current (READ COMMITTED: each statement after the lock sees what the first committed). A database migrated by a
 * newer Lectr is refused rather than written with an older idea of its tables.
 */
export async function migratePostgres(sql: SQL, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<MigrationResult> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}::int, ${MIGRATION_LOCK}::int)`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`
    const [row] = await tx`SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations`
    const from = (row as { version: number }).version
    if (from > migrations.length) {
      throw new Error(`the database's schema is version ${from}, newer than this Lectr's (${migrations.length}): upgrade Lectr`)
    }
    for (let version = from + 1; version <= migrations.length; version++) {
      await tx.unsafe(migrations[version - 1]!)
      await tx`INSERT INTO schema_migrations (version, applied_at) VALUES (${version}, ${Date.now()})`
    }
    return { from, to: migrations.length }
  })
}
