/**
 * The key tree of MLPerf Endpoints' result_summary.json, written out by hand from reading their
 * code (github.com/mlcommons/endpoints at ea332753, read only):
 *
 * - top level: the fields of `class Report` in src/inference_endpoint/metrics/report.py, in
 *   declaration order, minus `accuracy`, which `Report.to_json` drops from this file;
 * - each series (ttft, tpot, latency, input_sequence_lengths, output_sequence_lengths): the dict
 *   `_series_to_metric_dict` builds in the same file (total, min, max, median, avg, std_dev,
 *   percentiles, histogram{buckets, counts}), plus `early_stopping_percentiles` for the three
 *   latency series (SERIES_TO_SUMMARY_FIELD; placed by `place_early_stopping_percentiles`);
 * - percentiles: `str(p)` of DEFAULT_PERCENTILES in
 *   src/inference_endpoint/async_utils/services/metrics_aggregator/registry.py;
 * - finish_reason_counts: `_FINISH_REASON_COUNTERS` in report.py (the aggregator's
 *   MetricCounterKey.TRACKED_FINISH_REASON_* with the prefix removed);
 * - run_config: commands/benchmark/pipeline.py `_build_report_from_snapshot`.
 */
export const MLPERF_PERCENTILE_KEYS = [
  '99.9',
  '99.0',
  '97.0',
  '95.0',
  '90.0',
  '80.0',
  '75.0',
  '50.0',
  '25.0',
  '10.0',
  '5.0',
  '1.0',
];

const series = {
  total: null,
  min: null,
  max: null,
  median: null,
  avg: null,
  std_dev: null,
  percentiles: Object.fromEntries(MLPERF_PERCENTILE_KEYS.map((k) => [k, null])),
  histogram: { buckets: null, counts: null },
};
const latencySeries = { ...series, early_stopping_percentiles: null };

/** null marks a leaf; an object, keys that must be there. */
export const MLPERF_RESULT_SUMMARY_KEYS: Record<string, unknown> = {
  version: null,
  git_sha: null,
  test_started_at: null,
  n_samples_issued: null,
  n_samples_completed: null,
  n_samples_failed: null,
  duration_ns: null,
  state: null,
  complete: null,
  ttft: latencySeries,
  tpot: latencySeries,
  latency: latencySeries,
  output_sequence_lengths: series,
  input_sequence_lengths: series,
  legacy_loadgen_window_duration_ns: null,
  qps: null,
  tps: null,
  finish_reason_counts: {
    stop: null,
    length: null,
    tool_calls: null,
    content_filter: null,
    function_call: null,
    other: null,
  },
  run_config: { load_pattern: null, warmup: null, scheduler_random_seed: null, dataloader_random_seed: null },
};

/** Every key path of `tree` ("ttft.histogram.buckets"), leaves and branches. */
export function keyPaths(tree: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const p = prefix + key;
    out.push(p);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out.push(...keyPaths(value as Record<string, unknown>, p + '.'));
    }
  }
  return out;
}
