/**
 * The accuracy phase: after the performance phase (or instead of it, `--mode acc`), every row of
 * each accuracy dataset is sent once per repeat, in order, at a fixed concurrency, with the
 * answer text kept; then each answer is extracted and scored. Its requests are a run of their own,
 * so they never enter the performance figures, and the performance phase's never enter accuracy.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { bindNoPortAvailable } from '../client/bound-socket.js';
import type { BenchmarkSettings } from '../config/benchmark-settings.js';
import type { AccuracyDataset } from '../accuracy/accuracy-datasets.js';
import { scoreAnswers, type AccuracyAnswer, type AccuracyResult } from '../accuracy/accuracy-result.js';
import { REPORT_FILES, writeTextAtomically } from '../report/report-files.js';
import { accuracyResultsJson, answersJsonl } from '../accuracy/accuracy-files.js';
import type { RecordBatchList } from '../record/record-batch.js';
import { planConnections, readHostLimits } from './connection-plan.js';
import type { RunPlan, BenchmarkIo } from './run-benchmark.js';
import { executeRun } from './run-benchmark.js';
import { splitIntoShards } from './shard-split.js';
import type { RunState } from '../metrics/result-summary.js';
import type { DatasetAccuracy } from '../store/accuracy-store.js';

/** Requests in flight when neither --accuracy-concurrency nor a performance --concurrency says. */
export const DEFAULT_ACCURACY_CONCURRENCY = 32;

export interface AccuracyOutcome {
  results: AccuracyResult[];
  /** Each dataset's result with its answers and verdicts (for the results database). */
  datasets: DatasetAccuracy[];
  /** The worst state of the datasets' runs ('complete' when all completed). */
  state: RunState;
  failure?: string;
}

/** The settings of one dataset's run: concurrency C, rows × repeats requests, no time bound. */
function accuracySettings(s: BenchmarkSettings, ds: AccuracyDataset): BenchmarkSettings {
  const concurrency = s.accuracyConcurrency ?? (s.loadPattern === 'concurrency' ? s.concurrency : undefined);
  return {
    ...s,
    mode: 'online',
    loadPattern: 'concurrency',
    concurrency: concurrency ?? DEFAULT_ACCURACY_CONCURRENCY,
    targetQps: undefined,
    numSamples: ds.samples.length * ds.repeats,
    duration: Infinity,
    drainTimeout: undefined,
    dataset: [ds.spec],
  };
}

/** The answers in a run's records: the k-th answer to a row is its repeat k. */
function answersOf(records: Iterable<{ sampleIndex: number; error: string; text?: string; finishReason: string }>) {
  const seen = new Map<number, number>();
  const answers: AccuracyAnswer[] = [];
  for (const r of records) {
    const repeat = seen.get(r.sampleIndex) ?? 0;
    seen.set(r.sampleIndex, repeat + 1);
    answers.push({
      sample: r.sampleIndex,
      repeat,
      text: r.error === '' ? (r.text ?? '') : null,
      finishReason: r.finishReason === '' ? null : r.finishReason,
    });
  }
  return answers;
}

export async function runAccuracyPhase(
  plan: RunPlan,
  datasets: readonly AccuracyDataset[],
  io: BenchmarkIo,
): Promise<AccuracyOutcome> {
  const reportDir = plan.reportDir!;
  const dir = path.join(reportDir, REPORT_FILES.accuracyDir);
  await mkdir(dir, { recursive: true });
  const results: AccuracyResult[] = [];
  const scored: DatasetAccuracy[] = [];
  let state: RunState = 'complete';
  let failure: string | undefined;
  for (const ds of datasets) {
    const settings = accuracySettings(plan.settings, ds);
    const connections = planConnections(
      settings,
      plan.endpoints,
      readHostLimits(settings.sourceIps.length > 0 && bindNoPortAvailable()),
    );
    const shardPlans = splitIntoShards({
      settings,
      endpoints: plan.endpoints,
      samples: ds.samples,
      shards: connections.shards,
      perShardPerEndpoint: connections.perShardPerEndpoint,
      headers: plan.shardPlans[0]?.headers ?? [],
      captureText: true,
    });
    // Each shard sends each of its rows `repeats` times: an even split of the count would not.
    for (const p of shardPlans) if (p.samplesPartitioned) p.maxRequests = p.samples.length * ds.repeats;
    io.err.write(
      `accuracy: ${ds.name}: ${ds.samples.length} rows × ${ds.repeats} repeat${ds.repeats === 1 ? '' : 's'}, ` +
        `${settings.concurrency} in flight, scored by ${ds.scorer.id} with ${ds.extractor.id}\n`,
    );
    const started = performance.now();
    // store: null keeps this phase's records in memory (a RecordBatchList), out of the results store.
    const outcome = await executeRun({ ...plan, settings, connections, shardPlans, store: null }, io);
    const { result, verdicts } = scoreAnswers(
      {
        datasetName: ds.name,
        groundTruthColumn: ds.groundTruthColumn,
        scorer: ds.scorer,
        extractor: ds.extractor,
        truths: ds.samples.map((s) => s.groundTruth ?? ''),
        repeats: ds.repeats,
        durationS: (performance.now() - started) / 1000,
      },
      answersOf(outcome.records as RecordBatchList),
    );
    results.push(result);
    scored.push({ result, verdicts });
    await writeTextAtomically(path.join(dir, `${ds.name}.answers.jsonl`), answersJsonl(verdicts));
    if (outcome.state !== 'complete') {
      state = outcome.state;
      failure = outcome.failure;
      break; // Ctrl-C or a failed run stops the phase; the datasets scored so far are kept.
    }
  }
  await writeTextAtomically(path.join(dir, REPORT_FILES.accuracyResults), accuracyResultsJson(results));
  return { results, datasets: scored, state, failure };
}
