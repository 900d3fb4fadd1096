/**
 * The summary's sorts as jobs: every series the summary reports (TTFT, TPOT, latency, waits, token
 * lengths: ~10 series of one value per request) is sorted and summarized in place, and those sorts
 * are ~0.5–0.7 s of a 1M-record summary. As jobs they can run on the main thread one after another
 * (summarizeSeriesJob, what buildResultSummary does) or on two cores at once (the results store's
 * worker thread takes some: store/end-of-run-thread.ts) — the same functions on the same values,
 * so the same numbers.
 */
import { percentilesOfSorted, type Percentiles } from './percentiles.js';
import { sortFloat64InPlace } from './float64-sort.js';
import {
  summarizeLatencySeriesInPlace,
  summarizeSeriesInPlace,
  type LatencySeriesSummary,
  type SeriesSummary,
} from './series-summary.js';

/** `series`: summarizeSeriesInPlace; `latency`: with the early-stopping estimates; `percentiles`: the grid only. */
export type SeriesJobKind = 'series' | 'latency' | 'percentiles';

export interface SeriesJob {
  kind: SeriesJobKind;
  /** Owned by the job: sorted in place. */
  values: Float64Array;
}

export type SeriesJobResult = SeriesSummary | LatencySeriesSummary | Percentiles;

export function summarizeSeriesJob(job: SeriesJob): SeriesJobResult {
  if (job.kind === 'latency') return summarizeLatencySeriesInPlace(job.values);
  if (job.kind === 'series') return summarizeSeriesInPlace(job.values);
  // computePercentiles without its copy: the values are the job's own. No samples: no percentile (the caller checks).
  if (job.values.length === 0) return {} as Percentiles;
  return percentilesOfSorted(sortFloat64InPlace(job.values));
}

/** Runs a batch of jobs, results in the jobs' order (sync: here, one after another). */
export type SeriesJobRunner = (jobs: SeriesJob[]) => SeriesJobResult[];

/** Makes a series' array: plain memory, or SharedArrayBuffer-backed when another thread sorts it. */
export type SeriesAllocator = (length: number) => Float64Array;

export const plainSeries: SeriesAllocator = (length) => new Float64Array(length);
export const sharedSeries: SeriesAllocator = (length) => new Float64Array(new SharedArrayBuffer(length * 8));

export const runSeriesJobsHere: SeriesJobRunner = (jobs) => jobs.map(summarizeSeriesJob);

/** Drives a plan (a generator that yields job batches and takes their results) on this thread. */
export function runPlan<T>(plan: Generator<SeriesJob[], T, SeriesJobResult[]>): T {
  let step = plan.next(undefined as unknown as SeriesJobResult[]);
  while (!step.done) step = plan.next(runSeriesJobsHere(step.value));
  return step.value;
}
