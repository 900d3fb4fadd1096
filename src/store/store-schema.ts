/**
 * The results database's tables (DuckDB). One file per results directory holds every run:
 * `runs` (one row per run: what it was, how it went, its summary) and `requests` (one row per
 * request record, src/record/request-record.ts, chunk times as a LIST column).
 *
 * Times in `requests` are the record's own: absolute nanoseconds on the host's monotonic clock
 * (DOUBLE, NULL = never reached), so a summary rebuilt from the table is bit-for-bit the one the
 * run computed; `runs.start_ns` is the run's zero. The view `request_times` gives them in ms from
 * the run's start for people writing SQL.
 */

import { ACCURACY_SCHEMA_SQL } from './accuracy-store.js';

/** Bumped when a table changes shape; a database with another version is refused. */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS run_seq START 1;
CREATE TABLE IF NOT EXISTS runs (
  seq INTEGER PRIMARY KEY DEFAULT nextval('run_seq'),
  id VARCHAR UNIQUE NOT NULL,
  name VARCHAR,
  labels MAP(VARCHAR, VARCHAR),
  state VARCHAR NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  start_ns DOUBLE,
  end_ns DOUBLE,
  report_dir VARCHAR,
  endpoints VARCHAR[],
  model VARCHAR,
  mode VARCHAR,
  load_pattern VARCHAR,
  streaming BOOLEAN,
  target_qps DOUBLE,
  shards INTEGER,
  config_yaml VARCHAR,
  tool_version VARCHAR,
  git_sha VARCHAR,
  host VARCHAR,
  n_issued BIGINT,
  n_completed BIGINT,
  n_failed BIGINT,
  qps DOUBLE,
  tps DOUBLE,
  ttft_p50_ns DOUBLE,
  ttft_p99_ns DOUBLE,
  tpot_p50_ns DOUBLE,
  latency_p50_ns DOUBLE,
  latency_p99_ns DOUBLE,
  port_exhaustion_events BIGINT,
  client_cpu_ns DOUBLE,
  summary_json VARCHAR
);
CREATE TABLE IF NOT EXISTS requests (
  run INTEGER NOT NULL,
  id INTEGER NOT NULL,
  sample_index INTEGER,
  shard INTEGER,
  endpoint INTEGER,
  source_ip VARCHAR,
  streaming BOOLEAN,
  reused BOOLEAN,
  retries INTEGER,
  status INTEGER,
  error VARCHAR,
  error_message VARCHAR,
  finish_reason VARCHAR,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cached_tokens INTEGER,
  token_source VARCHAR,
  scheduled DOUBLE,
  dispatched DOUBLE,
  connect_start DOUBLE,
  connected DOUBLE,
  sent DOUBLE,
  headers DOUBLE,
  first_chunk DOUBLE,
  first_token DOUBLE,
  "end" DOUBLE,
  chunk_times DOUBLE[],
  text VARCHAR,
  conversation INTEGER,
  turn INTEGER
);
CREATE OR REPLACE VIEW request_times AS
SELECT runs.id AS run_id, r.id, r.sample_index, r.shard, r.endpoint, r.streaming, r.reused, r.retries, r.status,
  r.error, r.error_message, r.finish_reason, r.input_tokens, r.output_tokens, r.cached_tokens, r.token_source,
  (r.first_token - r.sent) / 1e6 AS ttft_ms,
  (r."end" - r.sent) / 1e6 AS latency_ms,
  (r.sent - r.scheduled) / 1e6 AS client_wait_ms,
  (r.scheduled - runs.start_ns) / 1e6 AS scheduled_ms,
  (r.sent - runs.start_ns) / 1e6 AS sent_ms,
  (r."end" - runs.start_ns) / 1e6 AS end_ms,
  len(r.chunk_times) AS chunks
FROM requests r JOIN runs ON r.run = runs.seq;
${ACCURACY_SCHEMA_SQL}`;
