/**
 * finish_reason_counts as MLPerf Endpoints keeps them (metrics_aggregator/aggregator.py
 * `_FINISH_REASON_COUNTERS`): six keys, always all present; a reason outside the first five is
 * `other`, and a completion with no finish_reason is not counted.
 */
export const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'function_call', 'other'] as const;

export type FinishReason = (typeof FINISH_REASONS)[number];
export type FinishReasonCounts = Record<FinishReason, number>;

const KNOWN: ReadonlySet<string> = new Set(FINISH_REASONS.slice(0, 5));

export function emptyFinishReasonCounts(): FinishReasonCounts {
  return { stop: 0, length: 0, tool_calls: 0, content_filter: 0, function_call: 0, other: 0 };
}

/** Counts one completion's finish_reason ('' = none given); `n` completions with it (a GROUP BY's count). */
export function countFinishReason(counts: FinishReasonCounts, reason: string, n = 1): void {
  if (reason === '') return;
  counts[(KNOWN.has(reason) ? reason : 'other') as FinishReason] += n;
}
