/**
 * `llm-loadgen export RUN --format parquet|csv|jsonl`: a stored run's records as a file. JSONL is
 * records.jsonl's format line for line (report/records-jsonl.ts); Parquet and CSV are DuckDB's
 * COPY of the same columns (times in ns from the run's start, chunk_times_ns a list; CSV writes
 * the list as `[t1, t2, …]`).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResultsStore, StoredRun } from './results-store.js';
import { writeStoredRecordsJsonl } from './run-store.js';

export const EXPORT_FORMATS = ['parquet', 'csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The export's columns, named as records.jsonl names them. */
function exportSelect(seq: number, startNs: number): string {
  const rel = (c: string) => `round(${c} - ${startNs})::BIGINT`;
  const diff = (a: string, b: string) => `round(${a} - ${b})::BIGINT`;
  return `SELECT r.id, r.sample_index, r.shard, coalesce(runs.endpoints[r.endpoint + 1], r.endpoint::VARCHAR) AS endpoint,
      r.source_ip, r.streaming, r.reused AS reused_connection, r.retries, r.status, r.error, r.error_message,
      r.finish_reason, r.input_tokens, r.cached_tokens, r.output_tokens, r.token_source,
      CASE WHEN r.streaming THEN ${diff('r.first_token', 'r.sent')} END AS ttft_ns,
      ${diff('r."end"', 'r.sent')} AS latency_ns, ${diff('r.sent', 'r.scheduled')} AS client_wait_ns,
      ${rel('r.scheduled')} AS scheduled_ns, ${rel('r.dispatched')} AS dispatched_ns,
      ${rel('r.connect_start')} AS connect_start_ns, ${rel('r.connected')} AS connected_ns, ${rel('r.sent')} AS sent_ns,
      ${rel('r.headers')} AS headers_ns, ${rel('r.first_chunk')} AS first_chunk_ns, ${rel('r.first_token')} AS first_token_ns,
      ${rel('r."end"')} AS end_ns,
      list_transform(r.chunk_times, t -> round(t - ${startNs})::BIGINT) AS chunk_times_ns
    FROM requests r JOIN runs ON r.run = runs.seq WHERE r.run = ${seq}`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Writes `run`'s records to `file`; returns the number of records written. */
export async function exportRun(
  store: ResultsStore,
  run: StoredRun,
  format: ExportFormat,
  file: string,
): Promise<number> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const startNs = run.startNs ?? 0;
  if (format === 'jsonl') {
    await writeStoredRecordsJsonl(store, run.seq, file, startNs, run.endpoints);
  } else {
    const options = format === 'parquet' ? '(FORMAT parquet, COMPRESSION zstd)' : '(FORMAT csv, HEADER true)';
    await store.connection.run(`COPY (${exportSelect(run.seq, startNs)}) TO ${sqlString(file)} ${options}`);
  }
  return run.storedRequests;
}
