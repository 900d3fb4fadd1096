/**
 * After the performance phase (or alone, --mode acc): run the accuracy phase, print its section,
 * add it to report.txt, store the results and every answer in the results database
 * (store/accuracy-store.ts), write report.html again with its accuracy section, and give the
 * exit code. The run's store is still open here: writeRunReport leaves it to us when accuracy follows.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, ExitCode, RunFailedError, formatError } from '../errors.js';
import { monotonicNs } from '../record/clock.js';
import { redact } from '../record/redact-secrets.js';
import { formatAccuracyText } from '../report/accuracy-text.js';
import { writeAccuracyReportHtml } from '../report/html/accuracy-page.js';
import { writeRunReportHtml } from '../report/html/report-html.js';
import { REPORT_FILES, writeTextAtomically } from '../report/report-files.js';
import { storeAccuracy } from '../store/accuracy-store.js';
import type { RunStore } from '../store/run-store.js';
import { runAccuracyPhase, type AccuracyOutcome } from './accuracy-phase.js';
import type { BenchmarkIo, BenchmarkResult, RunPlan } from './run-benchmark.js';

/** A DuckDB or file-system error's first line. */
function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

export async function finishWithAccuracy(
  plan: RunPlan,
  performance: BenchmarkResult,
  io: BenchmarkIo,
): Promise<BenchmarkResult> {
  const reportDir = plan.reportDir!;
  const store = plan.store;
  const accuracyOnly = plan.settings.testMode === 'acc';
  const startNs = monotonicNs();
  const startedAt = new Date().toISOString();
  // --mode acc: the run's row gets the phase's start (else `report` takes it for one killed before its start).
  if (accuracyOnly) store?.markStarted(startNs);
  let outcome: AccuracyOutcome;
  try {
    outcome = await runAccuracyPhase(plan, plan.accuracy, io);
  } catch (err) {
    store?.close();
    throw err;
  }
  const section = formatAccuracyText(outcome.results);
  // With --json, stdout carries only JSON lines: the text goes to stderr, as the performance report does.
  (plan.settings.json ? io.err : io.out).write(section);
  const textFile = path.join(reportDir, REPORT_FILES.text);
  const before = await readFile(textFile, 'utf8').catch(() => '');
  await writeTextAtomically(textFile, before + section);
  // --mode acc: no performance page to add the section to; the page is the accuracy section.
  if (accuracyOnly) {
    await writeAccuracyReportHtml(path.join(reportDir, REPORT_FILES.html), {
      model: plan.settings.model,
      endpoints: plan.endpointNames,
      state: outcome.state,
      durationS: (monotonicNs() - startNs) / 1e9,
      startedAt,
      reportDir,
      accuracy: outcome.results,
      configYaml: await readFile(path.join(reportDir, REPORT_FILES.config), 'utf8').catch(() => ''),
    });
  }
  let storeFailure: RunFailedError | null = null;
  if (store !== null) {
    try {
      await storeOutcome(plan, store, outcome, performance, startNs);
    } catch (err) {
      storeFailure = new RunFailedError(
        ErrorCode.reportWriteFailed,
        `could not store the accuracy results of run ${store.id} in ${store.store.file} (${firstLine(err)}); ` +
          `${reportDir}/${REPORT_FILES.accuracyDir}/ holds them. Free space, or pass --results-db on a disk with room.`,
        { cause: err },
      );
    } finally {
      store.close();
    }
  }
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
  if (storeFailure !== null) {
    io.err.write(formatError(storeFailure) + '\n');
    return { ...performance, exitCode: storeFailure.exitCode };
  }
  return performance;
}

/**
 * The results database's side: --mode acc finishes the run's row (no performance requests, the
 * phase's state); then every dataset's result and answers; then report.html, now with accuracy.
 */
async function storeOutcome(
  plan: RunPlan,
  store: RunStore,
  outcome: AccuracyOutcome,
  performance: BenchmarkResult,
  startNs: number,
): Promise<void> {
  const { settings } = plan;
  const accuracyOnly = settings.testMode === 'acc';
  if (accuracyOnly) {
    const endNs = monotonicNs();
    const summary = await store.summarize({
      state: outcome.state,
      startNs,
      endNs,
      mode: settings.mode,
      loadPattern: settings.loadPattern,
      shards: plan.connections.shards,
    });
    await store.finish(outcome.state, endNs, summary);
  }
  await storeAccuracy(store.store.connection, store.seq, outcome.datasets, accuracyOnly);
  if (accuracyOnly || performance.summary === null) return;
  const run = await store.store.findRun(store.id);
  if (run.startNs === null || run.endNs === null) return;
  const reportDir = plan.reportDir!;
  await writeRunReportHtml(path.join(reportDir, REPORT_FILES.html), {
    summary: performance.summary,
    context: {
      model: settings.model,
      endpoints: plan.endpointNames,
      mode: settings.mode,
      loadPattern: settings.loadPattern,
      streaming: settings.streaming,
      reportDir,
    },
    records: await store.chartRecords(),
    startNs: run.startNs,
    endNs: run.endNs,
    seed: settings.schedulerRandomSeed,
    configYaml: await readFile(path.join(reportDir, REPORT_FILES.config), 'utf8'),
    shards: plan.connections.shards,
    accuracy: outcome.results,
  });
}
