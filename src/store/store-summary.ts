/**
 * The result summary computed from a run's stored records: buildResultSummary (metrics/) over the
 * records read back (chunk times left out), with ITL from SQL (store-itl.ts). For the same records
 * the numbers are those of the in-memory summary (test/store/store-summary.test.ts holds them
 * equal); past ITL_EXACT_MAX gaps the ITL percentiles are the histogram's, and the summary says so.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { buildResultSummary, type ResultSummary, type ResultSummaryInput } from '../metrics/result-summary.js';
import { RecordBatchList } from '../record/record-batch.js';
import { readStoredBatches } from './stored-records.js';
import { ITL_EXACT_MAX, ITL_RELATIVE_ERROR, storedItl } from './store-itl.js';

/** The summary plus how its ITL was computed (an extra key of result_summary.json). */
export type StoredResultSummary = ResultSummary & {
  itl_method?: { exact: boolean; values: number; exact_limit: number; relative_error: number | null };
};

export async function summarizeStoredRun(
  connection: DuckDBConnection,
  seq: number,
  input: Omit<ResultSummaryInput, 'records'>,
): Promise<StoredResultSummary> {
  const records = new RecordBatchList();
  for await (const batch of readStoredBatches(connection, seq, false)) records.push(batch);
  const summary: StoredResultSummary = buildResultSummary({ ...input, records });
  const itl = await storedItl(connection, seq);
  summary.itl = itl.series;
  summary.itl_method = {
    exact: !itl.histogram,
    values: itl.count,
    exact_limit: ITL_EXACT_MAX,
    relative_error: itl.histogram ? ITL_RELATIVE_ERROR : null,
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
