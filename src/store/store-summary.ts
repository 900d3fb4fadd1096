/**
 * The result summary computed from a run's stored records: buildResultSummary's passes
 * (metrics/result-summary.ts, by stored-summary-fill.ts over the packed batches) over the
 * records read back once (chunk times left out), with ITL from the chunk times streamed past
 * (store-itl.ts). For the same records
 * the numbers are those of the in-memory summary (test/store/store-summary.test.ts holds them
 * equal); past ITL_EXACT_MAX gaps the ITL percentiles are the histogram's, and the summary says so.
 */
import { INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import {
  assembleResultSummary,
  summaryJobsOf,
  summarySeriesOf,
  type ResultSummary,
  type ResultSummaryInput,
} from '../metrics/result-summary.js';
import {
  plainSeries,
  runSeriesJobsHere,
  sharedSeries,
  type SeriesJob,
  type SeriesJobResult,
} from '../metrics/series-jobs.js';
import type { SeriesSummary } from '../metrics/series-summary.js';
import { computeGoodput } from '../metrics/slo.js';
import { tokenLengthsOf } from '../metrics/token-counts.js';
import { fillStoredSummary, type FilledSummary } from './stored-summary-fill.js';
import { StoredRecordList } from './stored-record-list.js';
import type { ChartDataOptions } from '../report/html/run-chart-data.js';
import { EndOfRunThread } from './end-of-run-thread.js';
import { readStoredBatches } from './stored-records.js';
import { ITL_EXACT_MAX, ITL_RELATIVE_ERROR, storedItl } from './store-itl.js';
import { MAX_GAP_SQL, readDoubles } from './stored-columns.js';
import { evaluateSlos } from '../metrics/slo.js';

/** The summary plus how its ITL was computed (an extra key of result_summary.json). */
export type StoredResultSummary = ResultSummary & {
  itl_method?: { exact: boolean; values: number; exact_limit: number; relative_error: number | null };
};

/**
 * From this many records on, the end of a run takes a worker thread (end-of-run-thread.ts): it
 * starts in ~0.1 s (~0.45 s from source, through tsx), which a short end does not win back —
 * alternating runs at load 3–4 (bench/store-summary.ts --dist), one core against two: 100k records
 * 0.98–1.72 s against 0.92–1.84 s (medians 1.04 and 1.74: slower), 300k 2.05–2.29 s against
 * 1.56–1.67 s, 1M 3.25–4.30 s against 2.44–3.09 s.
 */
export const THREAD_MIN_RECORDS = 200_000;

export interface ReadStoredRecordsOptions {
  /** The run's token gaps as its sink counted them: with it, ITL is taken on the read-back's scan by a worker thread. */
  itlGaps?: number;
  /** Use the worker thread (with itlGaps): by default from THREAD_MIN_RECORDS records on. */
  thread?: boolean;
}

/**
 * A run's stored records without their chunk times (~140 bytes each), for the summary and the
 * charts. With `itlGaps` (and enough records) the same scan streams the chunk times to a worker
 * thread for ITL (records.itl), and the batches are shared memory, so that thread also makes
 * report.html's charts from them (StoredRecordList.startCharts) and takes half the summary's sorts.
 */
export async function readStoredRecords(
  connection: DuckDBConnection,
  seq: number,
  options: ReadStoredRecordsOptions = {},
): Promise<StoredRecordList> {
  const stored = await connection.runAndReadAll('SELECT count(*) FROM requests WHERE run = $1', [seq], [INTEGER]);
  const want = Number(stored.getRows()[0][0]);
  const records = new StoredRecordList();
  const { itlGaps } = options;
  const thread = itlGaps !== undefined && (options.thread ?? want >= THREAD_MIN_RECORDS) ? new EndOfRunThread() : null;
  thread?.beginItl(itlGaps!, seq);
  try {
    // ITL on the same scan: against a second scan after the read-back (gaps to the worker too),
    // 2.44–3.09 s (median 2.66) against 2.31–3.52 s (2.82), five alternating runs at load 3.
    const read = thread === null ? {} : { shared: want, itl: thread.itlChunk.bind(thread) };
    for await (const batch of readStoredBatches(connection, seq, false, read)) {
      records.push(batch);
      const ready = thread?.ready();
      if (ready) await ready;
    }
    // A stream DuckDB cut short (seen past its memory limit: 16k of 300k records, no error) must not become a summary.
    if (records.count !== want) throw new Error(`read back ${records.count} of run ${seq}'s ${want} stored records`);
  } catch (err) {
    thread?.close();
    throw err;
  }
  if (thread !== null) {
    records.thread = thread;
    records.itl = thread.endItl();
  }
  return records;
}

/**
 * The summary of run `seq`. `records` (read back by readStoredRecords when not given) get the ITL
 * chart distribution on the way, for report.html. `itlGaps`: the run's token gaps as its sink
 * counted them (StoreRecordSink.itlGaps), so the ITL pass needs no count query. `charts`:
 * report.html's chart options, so the worker thread makes them beside the summary.
 *
 * ITL comes from the read-back's own scan when the records were read with the gap count (a worker
 * thread takes the gaps: the main thread builds the rest meanwhile); else from a second scan after
 * the read-back — not beside it on a second connection: side by side they were slower at the end
 * of a 1M-record run (4.31–8.56 s against 3.21–4.26 s wall; the scans share DuckDB's 256 MB pool).
 */
export async function summarizeStoredRun(
  connection: DuckDBConnection,
  seq: number,
  input: Omit<ResultSummaryInput, 'records'>,
  records?: StoredRecordList,
  itlGaps?: number,
  charts?: ChartDataOptions,
): Promise<StoredResultSummary> {
  records ??= await readStoredRecords(connection, seq, { itlGaps });
  if (charts !== undefined) records.startCharts(charts);
  if (records.maxGaps === null && input.slos?.some((x) => x.kind === 'request' && x.metric === 'itl-max')) {
    records.maxGaps = await storedMaxGaps(connection, seq, records.count);
  }
  const thread = records.thread;
  // The record passes straight over the batches' arrays (stored-summary-fill.ts), here while the
  // worker thread makes the charts; then the series' sorts on both cores (the same functions: the
  // same numbers). Not in the worker as the batches arrive: the read-back already keeps both cores
  // busy (DuckDB's scan, this thread, the ITL), and it ran ~0.12 s slower for the ~0.1 s it took.
  const tokenizer = input.tokens?.tokenizer?.counts ?? null;
  const filled = fillStoredSummary(records.batchList(), records.count, thread === null ? plainSeries : sharedSeries, {
    startNs: input.startNs,
    tokenizer,
  });
  const run =
    thread === null
      ? (jobs: SeriesJob[]) => Promise.resolve(runSeriesJobsHere(jobs))
      : (jobs: SeriesJob[]) => thread.runJobs(jobs);
  const summary: StoredResultSummary = await summaryOfFilled({ ...input, records }, filled, run);
  // Asked everything it will be: the thread ends once it has answered.
  thread?.close();
  // The worker's ITL, or (no worker, or it failed to run) the same computed here on a second scan.
  const itl = await (records.itl ?? Promise.reject(new Error('no ITL pass yet'))).catch(() =>
    storedItl(connection, seq, ITL_EXACT_MAX, itlGaps),
  );
  records.itlDistribution = itl.chart;
  summary.itl = itl.series;
  // The run SLOs again now that ITL is there (the records read back have no chunk times: p99(itl) saw none).
  if (input.slos?.some((x) => x.kind === 'run')) summary.slo = evaluateSlos(summary, input.slos);
  summary.itl_method = {
    exact: !itl.histogram,
    values: itl.count,
    exact_limit: ITL_EXACT_MAX,
    relative_error: itl.histogram ? ITL_RELATIVE_ERROR : null,
  };
  return summary;
}

/** The summary from the worker's fill: its series sorted by `run`, then as buildResultSummary ends. */
async function summaryOfFilled(
  input: ResultSummaryInput,
  fill: FilledSummary,
  run: (jobs: SeriesJob[]) => Promise<SeriesJobResult[]>,
): Promise<ResultSummary> {
  const jobs: SeriesJob[] = [
    ...summaryJobsOf(fill.series),
    { kind: 'series', values: fill.inputLengths },
    { kind: 'series', values: fill.outputLengths },
  ];
  const done = await run(jobs);
  const [isl, osl] = done.slice(jobs.length - 2) as SeriesSummary[];
  const lengths = tokenLengthsOf(fill.sources, input.tokens, isl, osl);
  const goodput = computeGoodput(input.records, input.slos ?? [], input.endNs - input.startNs);
  return assembleResultSummary(input, fill.counts, summarySeriesOf(done, fill.series, lengths), goodput);
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
  const out = await readDoubles(connection, seq, MAX_GAP_SQL, 'true', new Float64Array(count));
  if (out.length !== count) throw new Error(`read back ${out.length} of run ${seq}'s ${count} records' token gaps`);
  return out;
}
