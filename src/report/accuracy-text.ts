/** The accuracy section of report.txt and the console. */
import type { AccuracyResult } from '../accuracy/accuracy-result.js';

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

export function formatAccuracyText(results: readonly AccuracyResult[]): string {
  if (results.length === 0) return '';
  const lines = [
    '',
    'Accuracy (every issued answer counts; a failed request or an answer the extractor cannot read scores 0)',
  ];
  for (const r of results) {
    const ci = r.ci95 === null ? '' : `  95 % CI ${pct(r.ci95.low)}–${pct(r.ci95.high)} (${r.ci95.method})`;
    lines.push(
      `  ${r.dataset_name}: ${r.score === null ? 'n/a' : pct(r.score)}${ci}`,
      `    ${r.eval_method} with ${r.extractor}, ground truth '${r.ground_truth_column}'; ` +
        `${r.unit_samples} rows × ${r.num_repeats} = ${r.total_samples} answers, ${r.n_scored} scored, ` +
        `${r.failures} failed, ${r.extractor_misses} unreadable, ${r.truncated} cut at max tokens`,
    );
    if (r.num_repeats > 1) lines.push(`    per repeat: ${r.per_repeat_scores.map(pct).join(', ')}`);
    if (r.breakdown !== undefined)
      lines.push(
        `    ${Object.entries(r.breakdown)
          .map(([k, v]) => `${k} ${pct(v)}`)
          .join(', ')}`,
      );
    if (!r.complete)
      lines.push('    incomplete: some answers never came back (the run was cut); they count as failures');
  }
  return lines.join('\n') + '\n';
}
