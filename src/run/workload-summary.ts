/**
 * What result_summary.json says about the workload besides the measured figures: the warmup phase
 * (its requests are never in the figures) and the dataset rows --skip-bad-rows skipped.
 */
import type { ResultSummary } from '../metrics/result-summary.js';
import type { WarmupSummary } from './warmup-phase.js';

export interface WorkloadSummary {
  /** null: no warmup phase ran. */
  warmup: WarmupSummary | null;
  /** Dataset rows skipped as bad (--skip-bad-rows); 0 without it (a bad row exits 2). */
  dataset_rows_skipped: number;
}

export function withWorkload(
  summary: ResultSummary,
  warmup: WarmupSummary | null,
  skippedRows: number,
): ResultSummary & WorkloadSummary {
  return { ...summary, warmup, dataset_rows_skipped: skippedRows };
}
