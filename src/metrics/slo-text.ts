/** SLOs and goodput in words: report.txt lines and the exit-99 error. */
import { ErrorCode, SloFailedError } from '../errors.js';
import { formatMs, formatRate } from '../report/format-units.js';
import type { GoodputSummary, SloEvaluation } from './slo.js';

export function formatGoodput(goodput: GoodputSummary | null, issued: number): string[] {
  if (goodput === null) return [];
  return [
    `goodput (${goodput.slos.join(', ')}): ${goodput.n_good} of ${issued} requests met every SLO ` +
      `(${(goodput.fraction * 100).toFixed(1)} %), ${formatRate(goodput.request_rate)} req/s, ` +
      `${formatRate(goodput.output_token_rate)} output tokens/s`,
  ];
}

export function formatSloChecks(slo: SloEvaluation | null): string[] {
  if (slo === null) return [];
  const lines = [`SLOs: ${slo.passed ? 'PASSED' : 'FAILED'}`];
  for (const c of slo.checks) {
    lines.push(
      `  ${c.passed ? 'pass' : 'FAIL'}  ${c.slo}  (measured ${c.value === null ? 'no samples' : `${formatMs(c.value)} ms`})`,
    );
  }
  return lines;
}

export function sloFailure(slo: SloEvaluation): SloFailedError {
  const failed = slo.checks.filter((c) => !c.passed);
  return new SloFailedError(
    ErrorCode.sloFailed,
    `${failed.length} of ${slo.checks.length} run SLOs failed: ` +
      failed
        .map((c) => `${c.slo} (measured ${c.value === null ? 'no samples' : `${formatMs(c.value)} ms`})`)
        .join('; '),
  );
}
