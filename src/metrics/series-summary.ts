/**
 * Summary statistics of one metric series (TTFT, ITL, token lengths, ...), as MLPerf Endpoints
 * computes them (metrics/report.py `_series_to_metric_dict`): median is the p50 "lower" sample
 * (an observed value, not the mean of the two middle ones), std_dev the sample deviation (n − 1;
 * 0 for one sample), percentiles by numpy's "lower" method, and a 30-bucket log-spaced histogram.
 * Numbers are left unrounded; reports round for display.
 */
import { earlyStoppingPercentiles, EARLY_STOPPING_KEYS, type EarlyStoppingPercentiles } from './early-stopping.js';
import { sortFloat64InPlace } from './float64-sort.js';
import { emptyHistogram, histogramOfSorted, type Histogram } from './log-histogram.js';
import { PERCENTILE_KEYS, percentilesOfSorted, type PercentileKey, type Percentiles } from './percentiles.js';

export interface PopulatedSeriesSummary {
  min: number;
  max: number;
  median: number;
  avg: number;
  std_dev: number;
  /** Sum of all samples (MLPerf Endpoints' readers use `total`, e.g. output_sequence_lengths.total). */
  total: number;
  percentiles: Percentiles;
  histogram: Histogram;
}

/** A series with no samples: same keys, every number null, so consumers still see the shape. */
export interface EmptySeriesSummary {
  min: null;
  max: null;
  median: null;
  avg: null;
  std_dev: null;
  total: null;
  percentiles: Record<PercentileKey, null>;
  /** No samples: no buckets (theirs writes an empty histogram too). */
  histogram: Histogram;
}

/** Narrow with `summary.avg === null` (or any other field). */
export type SeriesSummary = PopulatedSeriesSummary | EmptySeriesSummary;

export function emptySeriesSummary(): EmptySeriesSummary {
  const percentiles = {} as Record<PercentileKey, null>;
  for (const key of PERCENTILE_KEYS) percentiles[key] = null;
  return {
    min: null,
    max: null,
    median: null,
    avg: null,
    std_dev: null,
    total: null,
    percentiles,
    histogram: emptyHistogram(),
  };
}

/** TTFT, TPOT and latency also carry MLPerf LoadGen's early-stopping estimates, after `percentiles` as in theirs. */
export type LatencySeriesSummary = SeriesSummary & { early_stopping_percentiles: EarlyStoppingPercentiles };

/** summarizeSeriesInPlace plus the early-stopping estimates (null below each percentile's sample floor). */
export function summarizeLatencySeriesInPlace(values: Float64Array): LatencySeriesSummary {
  const { histogram, ...head } = summarizeSeriesInPlace(values);
  let estimates: EarlyStoppingPercentiles;
  if (values.length > 0)
    estimates = earlyStoppingPercentiles(values); // sorted in place above
  else {
    estimates = {};
    for (const key of EARLY_STOPPING_KEYS) estimates[key] = null;
  }
  return { ...head, early_stopping_percentiles: estimates, histogram } as LatencySeriesSummary;
}

/** Summarizes finite values; the input is not modified. */
export function summarizeSeries(values: Float64Array | number[]): SeriesSummary {
  const copy = values instanceof Float64Array ? values.slice() : Float64Array.from(values);
  return summarizeSeriesInPlace(copy);
}

/**
 * Like summarizeSeries but sorts `values` in place: for series the caller built and owns, so a
 * tens-of-millions-sample ITL series is not copied a second time.
 */
export function summarizeSeriesInPlace(values: Float64Array): SeriesSummary {
  const n = values.length;
  if (n === 0) return emptySeriesSummary();
  const sorted = sortFloat64InPlace(values);

  let total = 0;
  for (let i = 0; i < n; i++) total += sorted[i];
  const avg = total / n;
  // Two passes (mean, then squared deviations) as numpy does: no catastrophic cancellation.
  let squaredDeviations = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - avg;
    squaredDeviations += d * d;
  }
  const percentiles = percentilesOfSorted(sorted);

  return {
    min: sorted[0],
    max: sorted[n - 1],
    median: percentiles['50.0'],
    avg,
    std_dev: n > 1 ? Math.sqrt(squaredDeviations / (n - 1)) : 0,
    total,
    percentiles,
    histogram: histogramOfSorted(sorted),
  };
}
