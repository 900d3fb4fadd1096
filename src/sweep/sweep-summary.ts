/**
 * A sweep's combined result: one row per step (sweep_summary.json) and the text table (sweep.txt
 * and the console). Times in the JSON are ns, as in result_summary.json; the table shows ms.
 */
import type { ResultSummary } from '../metrics/result-summary.js';
import type { SeriesSummary } from '../metrics/series-summary.js';
import type { SloCheck } from '../metrics/slo.js';
import { formatMs } from '../report/format-units.js';

export type SweepStepKind = 'concurrency' | 'rate' | 'synchronous' | 'throughput';

export interface StepPercentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface SweepStepRow {
  step: number;
  kind: SweepStepKind;
  /** The concurrency (concurrency, synchronous, throughput) or the rate (rate steps, req/s) asked for. */
  target: number;
  /** This step's report directory (its result_summary.json, report.txt, records). */
  report_dir: string;
  exit_code: number;
  n_samples_issued: number;
  n_samples_completed: number;
  /** Completed requests per second. */
  achieved_rate: number;
  output_tokens_per_s: number;
  ttft: StepPercentiles;
  tpot: StepPercentiles;
  itl: StepPercentiles;
  e2e: StepPercentiles;
  /** Failed ÷ issued. */
  error_rate: number;
  /** Requests meeting every per-request --slo (ttft:200ms, …) per second; null without one. */
  goodput: number | null;
  /** Their output tokens per second; null without a per-request SLO. */
  goodput_tokens_per_s: number | null;
  /** Share of issued requests that missed a per-request SLO (or failed); null without one. */
  slo_miss_rate: number | null;
  /** Every percentile --slo (p99(ttft)<=500ms, …) held: the step's pass/fail; null without one. */
  slo_passed: boolean | null;
  /** The step's run SLO checks, as in its result_summary.json `slo`. */
  slo_checks: SloCheck[];
}

export interface SweepSummary {
  /** values: a list of --concurrency or --target-qps; guidellm: synchronous, throughput, rates; max-goodput: bisection. */
  scheme: 'values' | 'guidellm' | 'max-goodput';
  steps: SweepStepRow[];
  /** Why the sweep stopped before its last planned step; null when it did not. */
  stopped_early: string | null;
  /** max-goodput: the highest rate tried whose step passed (null when none did, or not searched). */
  max_goodput_rate: number | null;
}

function pcts(s: SeriesSummary): StepPercentiles {
  return { p50: s.percentiles['50.0'], p90: s.percentiles['90.0'], p99: s.percentiles['99.0'] };
}

export function stepRow(
  step: number,
  kind: SweepStepKind,
  target: number,
  reportDir: string,
  exitCode: number,
  summary: ResultSummary,
): SweepStepRow {
  const issued = summary.n_samples_issued;
  // The step's own verdicts, as the metrics layer computed them for its summary (metrics/slo.ts).
  const goodput = summary.goodput;
  const slo = summary.slo;
  return {
    step,
    kind,
    target,
    report_dir: reportDir,
    exit_code: exitCode,
    n_samples_issued: issued,
    n_samples_completed: summary.n_samples_completed,
    achieved_rate: summary.qps,
    output_tokens_per_s: summary.tps,
    ttft: pcts(summary.ttft),
    tpot: pcts(summary.tpot),
    itl: pcts(summary.itl),
    e2e: pcts(summary.latency),
    error_rate: issued > 0 ? summary.n_samples_failed / issued : 0,
    goodput: goodput?.request_rate ?? null,
    goodput_tokens_per_s: goodput?.output_token_rate ?? null,
    slo_miss_rate: goodput === null ? null : 1 - goodput.fraction,
    slo_passed: slo === null || slo.checks.length === 0 ? null : slo.passed,
    slo_checks: slo?.checks ?? [],
  };
}

function targetText(r: SweepStepRow): string {
  if (r.kind === 'rate') return `${r.target.toFixed(r.target < 10 ? 2 : 1)}/s`;
  if (r.kind === 'synchronous') return 'sync';
  if (r.kind === 'throughput') return `max c${r.target}`;
  return `c${r.target}`;
}

const p = (x: StepPercentiles): string[] => [formatMs(x.p50), formatMs(x.p90), formatMs(x.p99)];

export function formatSweepTable(s: SweepSummary): string {
  const head = [
    'step',
    'load',
    'req/s',
    'tok/s',
    'ttft p50',
    'p90',
    'p99',
    'tpot p50',
    'p90',
    'p99',
    'itl p50',
    'p90',
    'p99',
    'e2e p50',
    'p90',
    'p99',
    'err %',
    'goodput',
    'good tok/s',
    'miss %',
    'slo',
  ];
  const rows = s.steps.map((r) => [
    String(r.step),
    targetText(r),
    r.achieved_rate.toFixed(2),
    r.output_tokens_per_s.toFixed(1),
    ...p(r.ttft),
    ...p(r.tpot),
    ...p(r.itl),
    ...p(r.e2e),
    (100 * r.error_rate).toFixed(1),
    r.goodput === null ? '-' : r.goodput.toFixed(2),
    r.goodput_tokens_per_s === null ? '-' : r.goodput_tokens_per_s.toFixed(1),
    r.slo_miss_rate === null ? '-' : (100 * r.slo_miss_rate).toFixed(1),
    r.slo_passed === null ? '-' : r.slo_passed ? 'pass' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const out = [
    `sweep (${s.scheme}): ${s.steps.length} step${s.steps.length === 1 ? '' : 's'}; latencies in ms, req/s = completed requests per second`,
    line(head),
    '-'.repeat(line(head).length),
    ...rows.map(line),
  ];
  if (s.max_goodput_rate !== null || s.scheme === 'max-goodput')
    out.push(
      s.max_goodput_rate === null
        ? 'max goodput: no rate tried passed its SLOs'
        : `max goodput: ${s.max_goodput_rate.toFixed(2)} req/s is the highest rate tried whose step passed its SLOs`,
    );
  if (s.stopped_early !== null) out.push(`stopped early: ${s.stopped_early}`);
  return out.join('\n') + '\n';
}
