/**
 * After the performance phase (or alone, --mode acc): run the accuracy phase, print its section,
 * add it to report.txt, and give the exit code.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, ExitCode, RunFailedError, formatError } from '../errors.js';
import { redact } from '../record/redact-secrets.js';
import { formatAccuracyText } from '../report/accuracy-text.js';
import { REPORT_FILES, writeTextAtomically } from '../report/report-files.js';
import { runAccuracyPhase } from './accuracy-phase.js';
import type { BenchmarkIo, BenchmarkResult, RunPlan } from './run-benchmark.js';

export async function finishWithAccuracy(
  plan: RunPlan,
  performance: BenchmarkResult,
  io: BenchmarkIo,
): Promise<BenchmarkResult> {
  const reportDir = plan.reportDir!;
  const outcome = await runAccuracyPhase(plan, plan.accuracy, io);
  const section = formatAccuracyText(outcome.results);
  // With --json, stdout carries only JSON lines: the text goes to stderr, as the performance report does.
  (plan.settings.json ? io.err : io.out).write(section);
  const textFile = path.join(reportDir, REPORT_FILES.text);
  const before = await readFile(textFile, 'utf8').catch(() => '');
  await writeTextAtomically(textFile, before + section);
  io.err.write(`accuracy results written to ${reportDir}/${REPORT_FILES.accuracyDir}/\n`);
  if (outcome.state === 'interrupted') return { ...performance, exitCode: ExitCode.interrupted };
  if (outcome.state === 'failed') {
    const err = new RunFailedError(
      ErrorCode.runFailed,
      redact(outcome.failure ?? 'the accuracy phase failed', plan.secrets),
    );
    io.err.write(formatError(err) + '\n');
    return { ...performance, exitCode: err.exitCode };
  }
  return performance;
}
