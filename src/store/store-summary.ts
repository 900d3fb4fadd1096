/**
 * The result summary computed from a run's stored records: buildResultSummary (metrics/) over the
 * records read back once (chunk times left out), with ITL from the chunk times streamed past
 * (store-itl.ts). For the same records
 * the numbers are those of the in-memory summary (test/store/store-summary.test.ts holds them
 * equal); past ITL_EXACT_MAX gaps the ITL percentiles are the histogram's, and the summary says so.
 */
import { INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { createRequire } from 'node:module';
import { buildResultSummary, type ResultSummary, type ResultSummaryInput } from '../metrics/result-summary.js';
import { StoredRecordList } from './stored-record-list.js';
import { readStoredBatches } from './stored-records.js';
import { ITL_EXACT_MAX, ITL_RELATIVE_ERROR, storedItl } from './store-itl.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');

/** The summary plus how its ITL was computed (an extra key of result_summary.json). */
export type StoredResultSummary = ResultSummary & {
  itl_method?: { exact: boolean; values: number; exact_limit: number; relative_error: number | null };
};

/** A run's stored records without their chunk times (~140 bytes each), for the summary and the charts. */
export async function readStoredRecords(connection: DuckDBConnection, seq: number): Promise<StoredRecordList> {
  const records = new StoredRecordList();
  for await (const batch of readStoredBatches(connection, seq, false)) records.push(batch);
  // A stream DuckDB cut short (seen past its memory limit: 16k of 300k records, no error) must not become a summary.
  const stored = await connection.runAndReadAll('SELECT count(*) FROM requests WHERE run = $1', [seq], [INTEGER]);
  const want = Number(stored.getRows()[0][0]);
  if (records.count !== want) throw new Error(`read back ${records.count} of run ${seq}'s ${want} stored records`);
  return records;
}

/** How the ITL pass runs (both optional). */
export interface StoredItlOptions {
  /** A second connection on the same database: the ITL pass then runs alongside the read-back. */
  connection?: DuckDBConnection;
  /** The run's token gaps, counted by its sink as it appended (StoreRecordSink.itlGaps): no count query. */
  gaps?: number;
}

/**
 * The summary of run `seq`. `records` (read back by readStoredRecords when not given) get the ITL
 * chart distribution on the way, for report.html. With `itl.connection` (a second connection on
 * the same database) the ITL pass streams the chunk times while the records are read back: the
 * two scans run on DuckDB's threads side by side with the JS that copies them out (1M records:
 * 0.9 s of read-back and 0.5 s of ITL, one after the other before).
 */
export async function summarizeStoredRun(
  connection: DuckDBConnection,
  seq: number,
  input: Omit<ResultSummaryInput, 'records'>,
  records?: StoredRecordList | Promise<StoredRecordList>,
  itl: StoredItlOptions = {},
): Promise<StoredResultSummary> {
  const itlConnection = itl.connection;
  const itlEarly = itlConnection !== undefined ? storedItl(itlConnection, seq, ITL_EXACT_MAX, itl.gaps) : null;
  // Awaited below; a read-back that throws first must not leave it rejected unobserved.
  itlEarly?.catch(() => undefined);
  const list = await (records ?? readStoredRecords(connection, seq));
  if (list.maxGaps === null && input.slos?.some((x) => x.kind === 'request' && x.metric === 'itl-max')) {
    list.maxGaps = await storedMaxGaps(connection, seq, list.count);
  }
  const summary: StoredResultSummary = buildResultSummary({ ...input, records: list });
  const series = await (itlEarly ?? storedItl(connection, seq, ITL_EXACT_MAX, itl.gaps));
  list.itlDistribution = series.chart;
  summary.itl = series.series;
  summary.itl_method = {
    exact: !series.histogram,
    values: series.count,
    exact_limit: ITL_EXACT_MAX,
    relative_error: series.histogram ? ITL_RELATIVE_ERROR : null,
  };
  return summary;
}

/** One line for report.txt when ITL came from the histogram; null when it is exact. */
export function itlMethodNote(summary: StoredResultSummary): string | null {
  const m = summary.itl_method;
  if (m === undefined || m.exact) return null;
  return (
    `note: ITL percentiles from a log-linear histogram (${m.values} gaps > ${m.exact_limit} summarized exactly): ` +
    `each within ${((m.relative_error ?? 0) * 100).toFixed(2)} % (or 1 ns) of the exact value; min, max, avg exact.`
  );
}

/** Every record's largest token gap, NaN when it has fewer than two chunk times (record order, as read back). */
async function storedMaxGaps(connection: DuckDBConnection, seq: number, count: number): Promise<Float64Array> {
  const out = new Float64Array(count).fill(NaN);
  const result = await connection.stream(
    `SELECT coalesce(list_max(list_transform(range(1, len(chunk_times)), i -> chunk_times[i + 1] - chunk_times[i])), 'NaN'::DOUBLE)
     FROM requests WHERE run = $1`,
    [seq],
    [INTEGER],
  );
  let at = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    const bytes = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 0), n * 8);
    out.set(new Float64Array(bytes.buffer, bytes.byteOffset, n), at);
    at += n;
  }
  if (at !== count) throw new Error(`read back ${at} of run ${seq}'s ${count} records' token gaps`);
  return out;
}
