/** The accuracy phase's files: accuracy_results.json and each dataset's answers.jsonl (from a live run or the results database). */
import type { AccuracyResult, AccuracyVerdict } from './accuracy-result.js';

/** accuracy_results.json as MLPerf Endpoints writes it: the mean over datasets, then each entry. */
export function accuracyResultsJson(results: readonly AccuracyResult[]): string {
  const scores = results.map((r) => r.score).filter((s): s is number => s !== null);
  const payload: Record<string, unknown> = {};
  if (scores.length > 0) payload.average_accuracy = scores.reduce((a, b) => a + b, 0) / scores.length;
  payload.accuracy_scores = results;
  return JSON.stringify(payload, null, 2) + '\n';
}

/** One line per answer: the row, the repeat, what was extracted, the truth, the verdict, the answer. */
export function answersJsonl(verdicts: readonly AccuracyVerdict[]): string {
  let out = '';
  for (const v of [...verdicts].sort((a, b) => a.sample - b.sample || a.repeat - b.repeat))
    out +=
      JSON.stringify({
        sample: v.sample,
        repeat: v.repeat,
        extracted: v.extracted,
        ground_truth: v.truth,
        score: v.score,
        finish_reason: v.finishReason,
        answer: v.text,
      }) + '\n';
  return out;
}
