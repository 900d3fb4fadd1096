/**
 * A sweep's combined result: one row per step (sweep_summary.json) and the text table (sweep.txt
 * and the console). Times in the JSON are ns, as in result_summary.json; the table shows ms.
 */
import type { ResultSummary } from '../metrics/result-summary.js';
import type { SeriesSummary } from '../metrics/series-summary.js';
import { formatMs } from '../report/format-units.js';
import type { StepVerdict } from './step-verdict.js';

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
  /** Requests meeting every per-request SLO per second (null without per-request SLOs). */
  goodput: number | null;
  slo_miss_rate: number | null;
  /** The step's SLOs held (null: none given). */
  slo_passed: boolean | null;
  slo_checks: StepVerdict['checks'];
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
  verdict: StepVerdict | null,
): SweepStepRow {
  const issued = summary.n_samples_issued;
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
    goodput: verdict?.goodputRps ?? null,
    slo_miss_rate: verdict?.sloMissRate ?? null,
    slo_passed: verdict === null || verdict.checks.length === 0 ? null : verdict.passed,
    slo_checks: verdict?.checks ?? [],
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
