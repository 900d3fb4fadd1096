/**
 * Runs a sweep: one benchmark per step, each in its own report directory under the sweep's (with
 * its config.yaml, result_summary.json, report.txt and records), then sweep_summary.json and
 * sweep.txt beside them and the table on the console. A step whose error rate or per-request SLO
 * miss rate passes --sweep-max-error-rate / --sweep-max-slo-miss-rate ends the sweep early (its row
 * is kept, with the reason); so does Ctrl-C.
 *
 * SLOs are the run's own (--slo, metrics/slo.ts): every step is a run with them, so its summary
 * carries goodput (per-request SLOs) and the checks of the percentile SLOs, which decide whether
 * the step passed. The sweep's exit code (sweepExitCode) says how the sweep as a whole went.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import type { BenchmarkSettingsInput } from '../config/benchmark-settings.js';
import { ExitCode } from '../errors.js';
import { REPORT_FILES, createReportDir, writeTextAtomically } from '../report/report-files.js';
import { runBenchmark, type BenchmarkIo } from '../run/run-benchmark.js';
import type { SweepScheme } from './sweep-schemes.js';
import { formatSweepTable, stepRow, type SweepStepRow, type SweepSummary } from './sweep-summary.js';

export interface SweepOptions {
  /** End the sweep after a step whose error rate is above this (undefined: never). */
  maxErrorRate?: number;
  /** End the sweep after a step whose per-request SLO miss rate is above this (undefined: never). */
  maxSloMissRate?: number;
}

export interface SweepResult {
  exitCode: number;
  summary: SweepSummary;
  dir: string;
}

/** Steps' own reports go to their files; the console gets one line per step and the table. */
const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

function stepName(i: number, row: Pick<SweepStepRow, 'kind' | 'target'>): string {
  const n = String(i + 1).padStart(2, '0');
  const what =
    row.kind === 'rate'
      ? `rate-${Number(row.target.toFixed(3))}`
      : row.kind === 'concurrency'
        ? `c${row.target}`
        : row.kind;
  return `step-${n}-${what}`;
}

function earlyStop(row: SweepStepRow, o: SweepOptions): string | null {
  if (o.maxErrorRate !== undefined && row.error_rate > o.maxErrorRate)
    return `step ${row.step}: error rate ${(100 * row.error_rate).toFixed(1)} % is above --sweep-max-error-rate ${o.maxErrorRate}`;
  if (o.maxSloMissRate !== undefined && row.slo_miss_rate !== null && row.slo_miss_rate > o.maxSloMissRate)
    return `step ${row.step}: ${(100 * row.slo_miss_rate).toFixed(1)} % of requests missed an SLO, above --sweep-max-slo-miss-rate ${o.maxSloMissRate}`;
  return null;
}

export async function runSweep(
  input: BenchmarkSettingsInput,
  scheme: SweepScheme,
  options: SweepOptions,
  io: BenchmarkIo,
): Promise<SweepResult> {
  const dir = await createReportDir(input.reportDir, input.overwrite ?? false);
  const rows: SweepStepRow[] = [];
  let stopped: string | null = null;
  let interrupted = false;
  /** The first step that failed as a run (all requests failed, error limit, …): not an SLO verdict. */
  let stepFailure: number = ExitCode.ok;
  for (let plan = scheme.next(rows); plan !== null; plan = scheme.next(rows)) {
    const stepDir = path.join(dir, stepName(rows.length, plan));
    const label = plan.kind === 'rate' ? `${plan.target.toFixed(2)} req/s` : `concurrency ${plan.target}`;
    io.err.write(`sweep step ${rows.length + 1}: ${plan.kind} (${label}) → ${stepDir}/\n`);
    const stepInput = { ...input, ...plan.overrides, reportDir: stepDir, overwrite: false } as BenchmarkSettingsInput;
    // A failed percentile SLO is this step's verdict (the row and the line below say it), not an error.
    const result = await runBenchmark(stepInput, { ...io, out: discard(), sloFailureIsVerdict: true });
    const summary = result.summary!;
    const row = stepRow(rows.length + 1, plan.kind, plan.target, stepDir, result.exitCode, summary);
    rows.push(row);
    if (stepFailure === ExitCode.ok && result.exitCode !== ExitCode.sloFailed) stepFailure = result.exitCode;
    io.err.write(
      `  ${row.achieved_rate.toFixed(2)} req/s completed, ttft p99 ${row.ttft.p99 === null ? 'n/a' : (row.ttft.p99 / 1e6).toFixed(1) + ' ms'}, ` +
        `errors ${(100 * row.error_rate).toFixed(1)} %${row.slo_passed === null ? '' : row.slo_passed ? ', SLOs passed' : ', SLOs FAILED'}\n`,
    );
    if (summary.state === 'interrupted') {
      stopped = `interrupted during step ${row.step}`;
      interrupted = true;
      break;
    }
    if (summary.state === 'failed') {
      stopped = `step ${row.step} failed (see ${stepDir}/${REPORT_FILES.text})`;
      break;
    }
    const reason = scheme.exempt?.(row) === true ? null : earlyStop(row, options);
    if (reason !== null) {
      stopped = reason;
      break;
    }
  }
  const summary: SweepSummary = {
    scheme: scheme.scheme,
    steps: rows,
    stopped_early: stopped,
    max_goodput_rate: scheme.result?.(rows) ?? null,
  };
  const table = formatSweepTable(summary);
  io.out.write(table);
  await writeTextAtomically(path.join(dir, REPORT_FILES.sweepSummary), JSON.stringify(summary, null, 2) + '\n');
  await writeTextAtomically(path.join(dir, REPORT_FILES.sweepText), table);
  io.err.write(`sweep written to ${dir}/\n`);
  return { exitCode: sweepExitCode(summary, interrupted, stepFailure), summary, dir };
}

/**
 * 130 when interrupted; else the first step that failed as a run (4: every request failed, an
 * error limit, an endpoint down; 3 unreachable; …); else 99 (slo_failed) when the SLOs were not met — with
 * --find-max-goodput when no rate tried passed, otherwise when any step failed a percentile SLO;
 * else 0.
 */
export function sweepExitCode(summary: SweepSummary, interrupted: boolean, stepFailure: number): number {
  if (interrupted) return ExitCode.interrupted;
  if (stepFailure !== ExitCode.ok) return stepFailure;
  const sloMissed =
    summary.scheme === 'max-goodput'
      ? summary.max_goodput_rate === null
      : summary.steps.some((r) => r.slo_passed === false);
  return sloMissed ? ExitCode.sloFailed : ExitCode.ok;
}
